import { describe, expect, it } from 'vitest';
import { nextPref, parsePref, resolveTheme } from './theme';

describe('theme', () => {
  it('auto follows the system', () => {
    expect(resolveTheme('auto', true)).toBe('dark');
    expect(resolveTheme('auto', false)).toBe('light');
    expect(resolveTheme('light', true)).toBe('light');
  });

  it('the toggle flips what is shown and returns to auto on the system theme', () => {
    expect(nextPref('auto', true)).toBe('light');
    expect(nextPref('light', true)).toBe('auto');
    expect(nextPref('auto', false)).toBe('dark');
    expect(nextPref('dark', false)).toBe('auto');
  });

  it('parses stored values', () => {
    expect(parsePref('dark')).toBe('dark');
    expect(parsePref(null)).toBe('auto');
    expect(parsePref('purple')).toBe('auto');
  });
});
