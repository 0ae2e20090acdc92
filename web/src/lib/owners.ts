// The Process column of the socket table, and why it is empty when it is:
// the owners pass (every few seconds) has not named the socket yet, or
// connlab may not read its process's open files (System.ownersNote: not
// root, or no ptrace access). Pure, no DOM.

import type { Socket, System } from '../wire';

/** What the Process cell shows; `note` explains an unknown owner. */
export interface OwnerCell {
  text: string;
  note?: string;
}

type Owned = Pick<Socket, 'pid' | 'process' | 'uid'>;
type Who = Pick<System, 'uid' | 'ownersNote'> | null;

/** True when the socket's owning process is unknown. */
export function ownerUnknown(s: Owned): boolean {
  return !s.process && !s.pid;
}

export function ownerCell(s: Owned, sys: Who): OwnerCell {
  if (s.process && s.pid) return { text: `${s.process} (${s.pid})` };
  if (s.process) return { text: s.process };
  if (s.pid) return { text: `pid ${s.pid}` };
  // Not root and the socket is another user's: it can never be named.
  if (sys?.ownersNote && sys.uid > 0 && s.uid !== sys.uid) return { text: `uid ${s.uid} · unknown (not root)`, note: sys.ownersNote };
  return { text: '' };
}

/**
 * The line under the table when some listed sockets show no process and
 * connlab cannot read every process; null otherwise.
 */
export function ownersFootnote(rows: readonly Owned[], sys: Who): string | null {
  if (!sys?.ownersNote) return null;
  const n = rows.filter(ownerUnknown).length;
  if (n === 0) return null;
  return `${n === 1 ? '1 socket shows' : `${n} sockets show`} no process. ${sys.ownersNote}`;
}
