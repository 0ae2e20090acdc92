import { describe, expect, it } from 'vitest';
import { lane, line, result, timeline } from './fixtures';
import { encodeRunFile, readRunFile, RUN_FILE_MAX_BYTES, RUN_FILE_VERSION, runFileName, runFileOf } from './runfile';

// The Go side's golden run file (internal/wire/testdata): what connlab writes, as its bytes.
import golden from '../../../../internal/wire/testdata/run_file.golden.json?raw';

const good = () => runFileOf(result({ lanes: [lane(1), lane(2)], lanesTotal: 2, log: [line(1)], logTotal: 1, timeline: timeline([[1_000_100, 1, 0]]) }), 'v1.2.3', new Date(Date.UTC(2026, 11, 1, 20, 0, 0, 123)));

function expectError(text: string, match: RegExp, bytes?: number) {
  const r = readRunFile(text, bytes);
  expect(r.ok).toBe(false);
  if (!r.ok) expect(r.error).toMatch(match);
}

describe('run files', () => {
  it('reads the file the Go side writes (golden)', () => {
    const r = readRunFile(golden);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const want = JSON.parse(golden);
    expect(r.file.version).toBe(want.version);
    expect(r.file.connlab).toBe(want.connlab);
    expect(r.file.result.id).toBe(want.result.id);
    expect(r.file.result.lanes.length).toBe(want.result.lanes.length);
    expect(r.file.result.findings.map((f) => f.id)).toEqual(want.result.findings.map((f: { id: string }) => f.id));
    expect(r.file.result.timeline.t).toEqual(want.result.timeline.t);
  });

  it('round-trips a file built from a result', () => {
    const f = good();
    expect(f.savedAt).toBe('2026-12-01T20:00:00Z');
    expect(f.format).toBe('connlab-run');
    expect(f.version).toBe(RUN_FILE_VERSION);
    const r = readRunFile(encodeRunFile(f));
    expect(r).toEqual({ ok: true, file: f });
  });

  it('names the file after preset and id, safely', () => {
    expect(runFileName({ preset: 'pool-churn', id: '3f9a' })).toBe('connlab-pool-churn-3f9a.json');
    expect(runFileName({ preset: '', id: 'a/b c' })).toBe('connlab-custom-a_b_c.json');
  });

  it('refuses what is not a run file, with a sentence that says why', () => {
    expectError('', /empty/);
    expectError('{"format":', /not JSON/);
    expectError('[1,2]', /no JSON object/);
    expectError('{"format":"something-else","version":1}', /format is "something-else"/);
    expectError(JSON.stringify(good().result), /bare result/);
    expectError(JSON.stringify({ ...good(), version: 0 }), /no valid version/);
    expectError(JSON.stringify({ ...good(), version: '1' }), /no valid version/);
  });

  it('refuses a newer version, naming both', () => {
    expectError(
      JSON.stringify({ ...good(), version: RUN_FILE_VERSION + 1, connlab: 'v9.0.0' }),
      new RegExp(`version ${RUN_FILE_VERSION + 1}, written by a newer connlab \\(v9\\.0\\.0\\).*up to version ${RUN_FILE_VERSION}`),
    );
  });

  it('refuses a file over the size limit before parsing it', () => {
    expectError('{}', /larger than the 32 MiB/, RUN_FILE_MAX_BYTES + 1);
  });

  it('refuses damaged shapes', () => {
    const f = good();
    const broken: [string, (r: Record<string, unknown>) => void, RegExp][] = [
      ['no result', (o) => delete o.result, /no result/],
      ['no id', (o) => ((o.result as Record<string, unknown>).id = ''), /no id/],
      ['bad status', (o) => ((o.result as Record<string, unknown>).status = 'exploded'), /unknown status "exploded"/],
      ['no progress', (o) => delete (o.result as Record<string, unknown>).progress, /no progress/],
      ['no elapsed', (o) => delete ((o.result as Record<string, unknown>).progress as Record<string, unknown>).elapsedMs, /no progress\.elapsedMs/],
      ['no opened', (o) => (((o.result as Record<string, unknown>).connections as Record<string, unknown>).opened = '3'), /no connections\.opened/],
      ['no kernel', (o) => delete (o.result as Record<string, unknown>).kernel, /no kernel/],
      ['lanes not a list', (o) => ((o.result as Record<string, unknown>).lanes = {}), /lanes is not a list/],
      ['bad lane', (o) => ((o.result as Record<string, unknown>).lanes = [{ id: 'x' }]), /lane without id/],
      ['bad finding', (o) => ((o.result as Record<string, unknown>).findings = [{ level: 'info' }]), /finding without id/],
      ['no timeline', (o) => delete (o.result as Record<string, unknown>).timeline, /no kernel timeline/],
      ['short column', (o) => (((o.result as Record<string, unknown>).timeline as Record<string, unknown>).server = { TIME_WAIT: [] }), /server TIME_WAIT column does not match its 1 times/],
    ];
    for (const [name, breakIt, match] of broken) {
      const o = JSON.parse(encodeRunFile(f));
      breakIt(o);
      const r = readRunFile(JSON.stringify(o));
      expect(r.ok, name).toBe(false);
      if (!r.ok) expect(r.error, name).toMatch(match);
    }
  });

  it('makes Go nulls empty', () => {
    const o = JSON.parse(encodeRunFile(good()));
    o.result.lanes = null;
    o.result.log = null;
    o.result.findings = null;
    const r = readRunFile(JSON.stringify(o));
    expect(r.ok).toBe(true);
    if (r.ok) expect([r.file.result.lanes, r.file.result.log, r.file.result.findings]).toEqual([[], [], []]);
  });

  it('never throws on mangled files: each is read or refused with a reason (seeded fuzz)', () => {
    let seed = 12345;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const values: unknown[] = [null, 0, -1, 1e308, '', 'x', [], {}, [1, 'a'], { id: 1 }, true];
    const base = JSON.parse(golden);
    const paths: string[][] = [];
    const walk = (v: unknown, p: string[]) => {
      paths.push(p);
      if (v && typeof v === 'object') for (const [k, c] of Object.entries(v)) walk(c, [...p, k]);
    };
    walk(base, []);
    let ok = 0;
    for (let n = 0; n < 3000; n++) {
      const o = JSON.parse(golden);
      for (let m = 0; m <= rand(3); m++) {
        const p = paths[rand(paths.length)];
        if (p.length === 0) continue;
        let parent = o;
        for (const k of p.slice(0, -1)) parent = parent?.[k];
        if (!parent || typeof parent !== 'object') continue;
        if (rand(3) === 0) delete parent[p[p.length - 1]];
        else parent[p[p.length - 1]] = values[rand(values.length)];
      }
      let text = JSON.stringify(o);
      if (rand(10) === 0) text = text.slice(0, rand(text.length));
      const r = readRunFile(text);
      if (r.ok) {
        ok++;
        // What is accepted has every part the Lab draws.
        expect(Array.isArray(r.file.result.lanes) && Array.isArray(r.file.result.log) && Array.isArray(r.file.result.findings)).toBe(true);
        expect(r.file.result.timeline.t.length).toBe(Object.values(r.file.result.timeline.server)[0]?.length ?? r.file.result.timeline.t.length);
      } else {
        expect(r.error.length).toBeGreaterThan(10);
      }
    }
    expect(ok).toBeGreaterThan(0);
    expect(ok).toBeLessThan(3000);
  });
});
