import { describe, expect, it } from 'vitest';
import { observeEndedText } from './observe';

describe('observe ended', () => {
  it('says why the observe phase ended early', () => {
    expect(observeEndedText({ observeEnded: 'skipped', observeMs: 65_000 })).toBe('Observe skipped (planned 1 min 05 s)');
    expect(observeEndedText({ observeEnded: 'drained', observeMs: 2000 })).toBe('Observe ended early: nothing left to drain (planned 2.0 s)');
    expect(observeEndedText({ observeMs: 2000 })).toBeNull();
  });
});
