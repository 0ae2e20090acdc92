// The Lab's URL: the spec of a run, so a link reproduces it. Only what
// differs from the preset is written:
//
//   /lab?preset=client-disable-keepalive&requests=50&client.disableKeepAlives=true
//
// Keys are the `-set` keys, values as `-set` takes them. The base of the
// difference is the preset as the Lab shows it (uiBase: the preset with the
// UI's 65 s observe), so observe appears only when it is not 65 s. The
// fields (keys, kinds, limits) are the server's schema (Fields).
// A comparison adds the second preset and its own server/client changes
// (it shares the first spec's workload):
//
//   &compare=keepalive-default&b.server.idleTimeout=1s
//
// Pure: no DOM, no history.

import { formatValue, parseValue, setField, type Fields, type FlatSpec } from './fields';

export interface SideSpec {
  preset: string;
  values: FlatSpec;
}

export interface LabQuery {
  a: SideSpec;
  /** The comparison's second spec (workload = a's), or null. */
  b: SideSpec | null;
  /** What could not be read (unknown keys, bad values, unknown presets), for a notice. */
  problems: string[];
}

/** The base of a preset by name (uiBase of its spec); undefined for unknown names. */
export type BaseOf = (preset: string) => FlatSpec | undefined;

const B_PREFIX = 'b.';

/** b's spec with a's workload: what a comparison runs. */
export function withWorkload(fields: Fields, b: FlatSpec, a: FlatSpec): FlatSpec {
  const out = { ...b };
  for (const k of fields.workloadKeys) out[k] = a[k];
  return out;
}

/** The query string ("?…", or "" for nothing) of a Lab state. */
export function encodeLabQuery(fields: Fields, a: SideSpec, b: SideSpec | null, baseOf: BaseOf): string {
  const p = new URLSearchParams();
  p.set('preset', a.preset);
  const baseA = baseOf(a.preset);
  for (const k of baseA ? fields.changedKeys(a.values, baseA) : []) p.set(k, formatValue(fields.def(k)!, a.values[k]));
  if (b) {
    p.set('compare', b.preset);
    const baseB = baseOf(b.preset);
    if (baseB) {
      const shared = new Set(fields.workloadKeys);
      for (const k of fields.changedKeys(b.values, baseB)) if (!shared.has(k)) p.set(B_PREFIX + k, formatValue(fields.def(k)!, b.values[k]));
    }
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

/**
 * Reads a Lab URL query. Unknown presets fall back to `fallback`; bad keys
 * and values are skipped and reported in problems.
 */
export function decodeLabQuery(fields: Fields, search: string, baseOf: BaseOf, fallback: string): LabQuery {
  const p = new URLSearchParams(search);
  const problems: string[] = [];
  const presetOf = (name: string | null, what: string): string => {
    if (name === null || name === '') return fallback;
    if (baseOf(name)) return name;
    problems.push(`${what}: unknown preset "${name}"`);
    return fallback;
  };
  const aPreset = presetOf(p.get('preset'), 'preset');
  let a = { ...baseOf(aPreset)! };
  const bName = p.get('compare');
  const bPreset = bName === null ? null : presetOf(bName, 'compare');
  let b = bPreset === null ? null : { ...baseOf(bPreset)! };

  for (const [key, raw] of p) {
    if (key === 'preset' || key === 'compare') continue;
    const isB = key.startsWith(B_PREFIX);
    const k = isB ? key.slice(B_PREFIX.length) : key;
    const def = fields.def(k);
    if (!def) {
      problems.push(`${key}: unknown field`);
      continue;
    }
    if (isB && !b) {
      problems.push(`${key}: no comparison (add compare=<preset>)`);
      continue;
    }
    if (isB && fields.workloadKeys.includes(k)) {
      problems.push(`${key}: a comparison shares the first spec's workload; set ${k} instead`);
      continue;
    }
    const v = parseValue(def, raw);
    if (!v.ok) {
      problems.push(`${key}=${raw}: ${v.error}`);
      continue;
    }
    if (isB) b = setField(b!, k, v.value);
    else a = setField(a, k, v.value);
  }
  return {
    a: { preset: aPreset, values: a },
    b: b && bPreset ? { preset: bPreset, values: withWorkload(fields, b, a) } : null,
    problems,
  };
}
