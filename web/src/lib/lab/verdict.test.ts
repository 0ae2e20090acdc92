import { describe, expect, it } from 'vitest';
import type { Finding } from '../../wire';
import { shownFindings } from './verdict';

const F: Finding[] = [
  { id: 'completed', level: 'warn', text: 'Run stopped before the end: evidence may be partial', evidence: [] },
  { id: 'reuse', level: 'bad', text: 'Not reused', evidence: [] },
];

describe('verdict findings shown', () => {
  it('hides the unfinished-run warning while the run goes on', () => {
    expect(shownFindings(F, 'running').map((f) => f.id)).toEqual(['reuse']);
  });
  it('shows everything once the run ended', () => {
    expect(shownFindings(F, 'stopped').map((f) => f.id)).toEqual(['completed', 'reuse']);
    expect(shownFindings(F, 'completed')).toEqual(F);
  });
});
