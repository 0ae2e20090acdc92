// TCP states and their one colour, shared by every view (Watch now, Lab
// later): a state has the same colour in every chart, tile, legend and table,
// in both themes.
//
// Palette: Okabe & Ito ("Color Universal Design", 2008), colour-blind safe,
// plus two Paul Tol colours and neutral greys for the rare, short
// states. The three states people argue about get the most distinct hues,
// which also differ in lightness so they stay apart under protan, deutan and
// tritan vision (see states.test.ts):
//   ESTABLISHED  sky blue   #56B4E9  (Okabe–Ito)
//   TIME_WAIT    orange     #E69F00  (Okabe–Ito)
//   CLOSE_WAIT   magenta    #EE3377  (Paul Tol "vibrant")
// (pairwise CIE76 ΔE > 35 under simulated protan, deutan and tritan vision).

/** State names as `ss` spells them, in the server's display order (sockstat.States). */
export const STATES = ['ESTABLISHED', 'SYN_SENT', 'SYN_RECV', 'FIN_WAIT1', 'FIN_WAIT2', 'TIME_WAIT', 'CLOSE', 'CLOSE_WAIT', 'LAST_ACK', 'LISTEN', 'CLOSING'] as const;

export type StateName = (typeof STATES)[number];

/** One fixed colour per state (hex, usable on dark and light backgrounds). */
export const STATE_COLORS: Readonly<Record<StateName, string>> = {
  ESTABLISHED: '#56B4E9', // Okabe–Ito sky blue
  TIME_WAIT: '#E69F00', // Okabe–Ito orange
  CLOSE_WAIT: '#EE3377', // Tol vibrant magenta
  FIN_WAIT2: '#009E73', // Okabe–Ito bluish green
  FIN_WAIT1: '#F0E442', // Okabe–Ito yellow
  SYN_SENT: '#0072B2', // Okabe–Ito blue
  LAST_ACK: '#CC79A7', // Okabe–Ito reddish purple
  SYN_RECV: '#44AA99', // Tol muted teal
  CLOSING: '#D55E00', // Okabe–Ito vermillion
  CLOSE: '#6E6E6E', // dark grey
  LISTEN: '#A8A8A8', // light grey
};

/** Fallback for a state name this build does not know. */
export const UNKNOWN_COLOR = '#888888';

/**
 * Stacking order of the charts, bottom first: the steady states at the
 * bottom where their level is easy to read, the rare transient ones above,
 * LISTEN (a constant 1 on the server side) on top.
 */
export const STACK_ORDER: readonly StateName[] = ['ESTABLISHED', 'TIME_WAIT', 'CLOSE_WAIT', 'FIN_WAIT2', 'FIN_WAIT1', 'LAST_ACK', 'CLOSING', 'SYN_SENT', 'SYN_RECV', 'CLOSE', 'LISTEN'];

/** Short explanations for legends and tooltips. */
export const STATE_HINTS: Readonly<Record<StateName, string>> = {
  ESTABLISHED: 'open connection',
  SYN_SENT: 'connect() sent SYN, waiting for SYN-ACK',
  SYN_RECV: 'SYN received, handshake not finished',
  FIN_WAIT1: 'this side closed first, FIN not yet acknowledged',
  FIN_WAIT2: 'this side closed first, waiting for the peer to close',
  TIME_WAIT: 'this side closed first; held 60 s by the kernel',
  CLOSE: 'closed',
  CLOSE_WAIT: 'the peer closed; this application has not called close() yet',
  LAST_ACK: 'closed second, waiting for the last ACK',
  LISTEN: 'listening socket',
  CLOSING: 'both sides closed at once',
};

export function isState(name: string): name is StateName {
  return (STATES as readonly string[]).includes(name);
}

/** Colour of a state name; unknown names get a neutral grey. */
export function stateColor(name: string): string {
  return isState(name) ? STATE_COLORS[name] : UNKNOWN_COLOR;
}

/**
 * Colours of who closed first (Watch's flow tiles and "closed first by"
 * charts), taken from the state each close leads to, so they match the state
 * charts: the side that closes first holds TIME_WAIT; a simultaneous close
 * passes through CLOSING on both sides. (An RST has no state of its own: it
 * is drawn in the theme's error colour, as in the Lab's swimlanes.)
 */
export const CLOSE_COLORS = {
  first: STATE_COLORS.TIME_WAIT,
  simultaneous: STATE_COLORS.CLOSING,
} as const;
