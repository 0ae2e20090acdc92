import { describe, expect, it } from 'vitest';
import { CLOSE_COLORS, STACK_ORDER, STATES, STATE_COLORS, STATE_HINTS, stateColor, UNKNOWN_COLOR } from './states';

// Colour-vision-deficiency simulation (Machado, Oliveira & Fernandes 2009,
// severity 1.0) applied in linear RGB, then CIE76 ΔE in CIELAB (D65).
const CVD: Record<string, number[][]> = {
  normal: [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
  ],
  protan: [
    [0.152286, 1.052583, -0.204868],
    [0.114503, 0.786281, 0.099216],
    [-0.003882, -0.048116, 1.051998],
  ],
  deutan: [
    [0.367322, 0.860646, -0.227968],
    [0.280085, 0.672501, 0.047413],
    [-0.01182, 0.04294, 0.968881],
  ],
  tritan: [
    [1.255528, -0.076749, -0.178779],
    [-0.078411, 0.930809, 0.147602],
    [0.004733, 0.691367, 0.3039],
  ],
};

const toLinear = (c: number) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);

function lab(hex: string, m: number[][]): [number, number, number] {
  const rgb = [1, 3, 5].map((i) => toLinear(parseInt(hex.slice(i, i + 2), 16) / 255));
  const [r, g, b] = m.map((row) => Math.min(1, Math.max(0, row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2])));
  const x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047;
  const y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  const z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883;
  const f = (t: number) => (t > 216 / 24389 ? Math.cbrt(t) : ((24389 / 27) * t + 16) / 116);
  return [116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))];
}

function deltaE(a: string, b: string, m: number[][]): number {
  const p = lab(a, m);
  const q = lab(b, m);
  return Math.hypot(p[0] - q[0], p[1] - q[1], p[2] - q[2]);
}

describe('state colours', () => {
  it('every state has one unique colour, a hint, and one place in the stack', () => {
    const colours = STATES.map((s) => STATE_COLORS[s].toLowerCase());
    expect(new Set(colours).size).toBe(STATES.length);
    expect([...STACK_ORDER].sort()).toEqual([...STATES].sort());
    for (const s of STATES) expect(STATE_HINTS[s]).toBeTruthy();
    expect(stateColor('ESTABLISHED')).toBe('#56B4E9');
    expect(stateColor('BOGUS')).toBe(UNKNOWN_COLOR);
  });

  it('ESTABLISHED, TIME_WAIT and CLOSE_WAIT stay far apart for every colour vision', () => {
    const key = ['ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT'] as const;
    for (const [vision, m] of Object.entries(CVD)) {
      for (let i = 0; i < key.length; i++) {
        for (let j = i + 1; j < key.length; j++) {
          const d = deltaE(STATE_COLORS[key[i]], STATE_COLORS[key[j]], m);
          expect(d, `${vision}: ${key[i]} vs ${key[j]}`).toBeGreaterThan(35);
        }
      }
    }
  });

  it('every pair of states is distinguishable with normal vision', () => {
    for (let i = 0; i < STATES.length; i++) {
      for (let j = i + 1; j < STATES.length; j++) {
        expect(deltaE(STATE_COLORS[STATES[i]], STATE_COLORS[STATES[j]], CVD.normal), `${STATES[i]} vs ${STATES[j]}`).toBeGreaterThan(15);
      }
    }
  });

  it('the two "closed first" colours stay apart for every colour vision', () => {
    // Stacked on one chart (closed first by this side, both at once): they must not merge.
    for (const [vision, m] of Object.entries(CVD)) {
      expect(deltaE(CLOSE_COLORS.first, CLOSE_COLORS.simultaneous, m), vision).toBeGreaterThan(15);
    }
    expect(CLOSE_COLORS.first).toBe(STATE_COLORS.TIME_WAIT);
  });
});
