// Theme choice: "auto" follows prefers-color-scheme; "dark" / "light" are
// forced by the header toggle and remembered. Pure helpers; the component
// does the DOM and storage work.

export type ThemePref = 'auto' | 'dark' | 'light';
export type Theme = 'dark' | 'light';

export const THEME_KEY = 'connlab.theme';

export function parsePref(v: string | null | undefined): ThemePref {
  return v === 'dark' || v === 'light' ? v : 'auto';
}

export function resolveTheme(pref: ThemePref, systemDark: boolean): Theme {
  if (pref === 'auto') return systemDark ? 'dark' : 'light';
  return pref;
}

/** The toggle cycles to the opposite of what is shown; choosing the system's own theme goes back to auto. */
export function nextPref(pref: ThemePref, systemDark: boolean): ThemePref {
  const shown = resolveTheme(pref, systemDark);
  const want: Theme = shown === 'dark' ? 'light' : 'dark';
  return want === (systemDark ? 'dark' : 'light') ? 'auto' : want;
}
