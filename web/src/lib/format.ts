// Small display formatters shared by components.

const intFmt = new Intl.NumberFormat('en-US');

/** 12345 -> "12,345". */
export function formatInt(n: number): string {
  return intFmt.format(Math.round(n));
}

/** Countdown in ms -> "59 s", "1.2 s" under 10 s, "0 s" at the end. */
export function formatCountdown(ms: number): string {
  if (ms <= 0) return '0 s';
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.ceil(ms / 1000)} s`;
}

/** Fraction -> "12 %", "2.5 %" (one decimal under 10 %), "< 0.1 %" for tiny non-zero values. */
export function formatPercent(f: number): string {
  const p = f * 100;
  if (p > 0 && p < 0.1) return '< 0.1 %';
  if (p > 0 && p < 10) return `${p.toFixed(1)} %`;
  return `${Math.round(p)} %`;
}

/** Sum of a counts map. */
export function total(counts: Readonly<Record<string, number>> | undefined): number {
  let n = 0;
  if (counts) for (const v of Object.values(counts)) n += v;
  return n;
}
