import { describe, expect, it } from 'vitest';
import { ownerCell, ownersFootnote } from './owners';

const NOT_ROOT = { uid: 1000, ownersNote: 'connlab is not root (uid 1000): …' };
const ROOT_OK = { uid: 0 };
const ROOT_LIMITED = { uid: 0, ownersNote: 'connlab runs as root, yet …' };

describe('owners', () => {
  it('names a known owner', () => {
    expect(ownerCell({ uid: 1000, pid: 42, process: 'nginx' }, NOT_ROOT)).toEqual({ text: 'nginx (42)' });
    expect(ownerCell({ uid: 0, process: 'kernel' }, NOT_ROOT)).toEqual({ text: 'kernel' });
    expect(ownerCell({ uid: 0, pid: 7 }, ROOT_OK)).toEqual({ text: 'pid 7' });
  });

  it('says why another user’s socket has no process when not root', () => {
    expect(ownerCell({ uid: 33 }, NOT_ROOT)).toEqual({ text: 'uid 33 · unknown (not root)', note: NOT_ROOT.ownersNote });
  });

  it('leaves the cell empty when the owner may just not be named yet', () => {
    expect(ownerCell({ uid: 1000 }, NOT_ROOT)).toEqual({ text: '' }); // our own socket: the next pass names it
    expect(ownerCell({ uid: 0 }, ROOT_LIMITED)).toEqual({ text: '' });
    expect(ownerCell({ uid: 33 }, ROOT_OK)).toEqual({ text: '' });
    expect(ownerCell({ uid: 33 }, null)).toEqual({ text: '' });
  });

  it('adds a footnote only when connlab cannot read every process', () => {
    const rows = [{ uid: 33 }, { uid: 0, process: 'kernel' }, { uid: 1000, pid: 9, process: 'x' }, { uid: 1000 }];
    expect(ownersFootnote(rows, NOT_ROOT)).toBe(`2 sockets show no process. ${NOT_ROOT.ownersNote}`);
    expect(ownersFootnote(rows.slice(0, 1), ROOT_LIMITED)).toBe(`1 socket shows no process. ${ROOT_LIMITED.ownersNote}`);
    expect(ownersFootnote(rows, ROOT_OK)).toBeNull();
    expect(ownersFootnote(rows.slice(1, 3), NOT_ROOT)).toBeNull();
  });
});
