// Go duration strings ("1m30s", "250ms") <-> nanoseconds, as Go's
// time.ParseDuration and time.Duration.String do them, so the browser
// validates and compares durations exactly like the server. Values are
// nanoseconds held in a number: exact up to 2^53 ns (104 days), far above
// any limit of a spec.

const UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  µs: 1e3, // U+00B5 micro sign
  μs: 1e3, // U+03BC greek mu
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

export const NS_PER_MS = 1e6;
export const NS_PER_S = 1e9;

const PART = /^(\d*)(?:\.(\d*))?([^\d.]+)/;

/** Parses a Go duration string; null when Go would refuse it. */
export function parseDuration(input: string): number | null {
  let s = input.trim();
  if (s === '') return null;
  let sign = 1;
  if (s[0] === '-' || s[0] === '+') {
    if (s[0] === '-') sign = -1;
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') return null;
  let total = 0;
  while (s !== '') {
    const m = PART.exec(s);
    if (!m) return null;
    const [all, int, frac = '', unitText] = m;
    if (int === '' && frac === '') return null; // ".s" or "s"
    // The unit runs up to the next digit or dot.
    const unit = UNITS[unitText];
    if (unit === undefined) return null;
    let v = Number(int || '0') * unit;
    if (frac) v += Math.round(Number(`0.${frac}`) * unit);
    total += v;
    s = s.slice(all.length);
  }
  return sign * total;
}

/** Fraction digits of v / 10^prec with trailing zeros dropped ("" when none). */
function frac(v: number, prec: number): string {
  const d = String(v % 10 ** prec)
    .padStart(prec, '0')
    .replace(/0+$/, '');
  return d ? `.${d}` : '';
}

/** Formats ns as Go's Duration.String: "0s", "250ms", "1.5µs", "1m30s", "2h0m0s". */
export function formatDuration(ns: number): string {
  if (!Number.isFinite(ns)) return '0s';
  let u = Math.round(Math.abs(ns));
  const sign = ns < 0 && u > 0 ? '-' : '';
  if (u === 0) return '0s';
  if (u < 1e3) return `${sign}${u}ns`;
  if (u < 1e6) return `${sign}${Math.floor(u / 1e3)}${frac(u, 3)}µs`;
  if (u < 1e9) return `${sign}${Math.floor(u / 1e6)}${frac(u, 6)}ms`;
  let out = `${Math.floor((u % 60e9) / 1e9)}${frac(u % 1e9, 9)}s`;
  u = Math.floor(u / 60e9); // minutes
  if (u > 0) {
    out = `${u % 60}m${out}`;
    u = Math.floor(u / 60); // hours
    if (u > 0) out = `${u}h${out}`;
  }
  return sign + out;
}

/** Short human form for captions: "65 s", "250 ms", "1.5 s", "2 min". */
export function humanDuration(ns: number): string {
  const ms = ns / NS_PER_MS;
  if (ms < 1000) return `${+ms.toFixed(ms < 10 ? 1 : 0)} ms`;
  const s = ms / 1000;
  if (s >= 120 && Number.isInteger(s / 60)) return `${s / 60} min`;
  return `${+s.toFixed(s < 10 ? 2 : 1)} s`;
}
