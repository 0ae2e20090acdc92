import { describe, expect, it } from 'vitest';
import { LOCAL_CHANGE_GRACE_MS, PortSet } from './portset';

describe('PortSet', () => {
  it('a GET answered after our POST does not undo it', () => {
    const s = new PortSet();
    const token = s.begin(); // GET /api/ports sent (the server has nothing yet)
    s.touch(); // POST 8081 sent
    s.added(8081, 0); // POST answered
    expect(s.fromFetch([], token)).toBe(false); // the stale GET answers last
    expect(s.ports).toEqual([8081]);
  });

  it('a GET sent after the POST was sent but answered after it is dropped too', () => {
    const s = new PortSet();
    s.touch(); // POST sent
    const token = s.begin(); // GET sent, reaches the server before the POST
    s.added(8081, 0); // POST answered first
    expect(s.fromFetch([], token)).toBe(false);
    expect(s.ports).toEqual([8081]);
  });

  it('an undisturbed GET applies, sorted and deduplicated', () => {
    const s = new PortSet();
    expect(s.fromFetch([5432, 8081, 5432], s.begin())).toBe(true);
    expect(s.ports).toEqual([5432, 8081]);
    expect(s.has(5432)).toBe(true);
  });

  it('broadcasts apply and outdate GETs in flight', () => {
    const s = new PortSet();
    const token = s.begin();
    s.fromBroadcast([1, 2], 0);
    expect(s.fromFetch([], token)).toBe(false);
    expect(s.ports).toEqual([1, 2]);
  });

  it('a broadcast older than our POST does not remove the port; later ones do', () => {
    const s = new PortSet();
    s.added(8081, 1000);
    s.fromBroadcast([], 1010); // sent before the server handled our POST
    expect(s.ports).toEqual([8081]);
    s.fromBroadcast([8081], 1020); // announces our change
    s.fromBroadcast([], 1030); // someone removed it since
    expect(s.ports).toEqual([]);
  });

  it('a broadcast older than our DELETE does not bring the port back', () => {
    const s = new PortSet();
    s.fromBroadcast([1, 2], 0);
    s.removed(1, 100);
    s.fromBroadcast([1, 2], 110);
    expect(s.ports).toEqual([2]);
    s.fromBroadcast([2], 120);
    s.fromBroadcast([1, 2], 130); // re-added elsewhere
    expect(s.ports).toEqual([1, 2]);
  });

  it('the correction ends after the grace period (announcement missed while offline)', () => {
    const s = new PortSet();
    s.added(8081, 0);
    s.fromBroadcast([], LOCAL_CHANGE_GRACE_MS);
    expect(s.ports).toEqual([]);
  });
});
