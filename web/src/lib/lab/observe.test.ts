import { describe, expect, it } from 'vitest';
import { observeEnded } from './observe';

describe('observe ended', () => {
  it('says why the observe phase ended early', () => {
    expect(observeEnded({ observeEnded: 'skipped', observeMs: 65_000 })).toEqual({ note: 'observe skipped', title: 'Observe skipped (Skip observe) before the end of the 1 min 05 s planned' });
    expect(observeEnded({ observeEnded: 'drained', observeMs: 2000 })?.note).toBe('observe ended early: drained');
    expect(observeEnded({ observeEnded: 'drained', observeMs: 2000 })?.title).toMatch(/of the 2\.0 s planned: no TIME_WAIT left/);
    expect(observeEnded({ observeMs: 2000 })).toBeNull();
  });
});
