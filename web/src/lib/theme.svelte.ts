// The live theme: the saved preference, the system's preference, and what is
// shown (set on <html data-theme="...">, which app.css keys its colours on).

import { nextPref, parsePref, resolveTheme, THEME_KEY, type Theme, type ThemePref } from './theme';

const media = () => window.matchMedia('(prefers-color-scheme: dark)');

function readPref(): ThemePref {
  try {
    return parsePref(localStorage.getItem(THEME_KEY));
  } catch {
    return 'auto'; // storage disabled: follow the system
  }
}

class ThemeState {
  pref = $state<ThemePref>('auto');
  systemDark = $state(true);
  readonly shown: Theme = $derived(resolveTheme(this.pref, this.systemDark));

  toggle(): void {
    this.pref = nextPref(this.pref, this.systemDark);
    try {
      if (this.pref === 'auto') localStorage.removeItem(THEME_KEY);
      else localStorage.setItem(THEME_KEY, this.pref);
    } catch {
      // storage disabled: the choice lasts for this page only
    }
    apply();
  }
}

export const theme = new ThemeState();

function apply(): void {
  document.documentElement.dataset.theme = theme.shown;
}

/** Reads the saved preference, follows system changes, and applies the theme. */
export function initTheme(): void {
  theme.pref = readPref();
  const m = media();
  theme.systemDark = m.matches;
  m.addEventListener('change', (e) => {
    theme.systemDark = e.matches;
    apply();
  });
  apply();
}
