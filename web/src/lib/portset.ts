// The watched set as the page knows it, from three sources that race: our
// own POST/DELETE answers, GET /api/ports, and the server's "ports"
// broadcasts, which travel on other connections and so can arrive in any
// order relative to our answers.
//   - A GET answer is dropped when the set changed (here or by a broadcast)
//     while it was in flight: a GET sent just before our POST could answer
//     after it and make the port we just added disappear.
//   - After our own POST (DELETE), a broadcast that lacks (still has) the
//     port is older than our change; it is corrected until the broadcast
//     announcing our change arrives, or until a grace period ends (the
//     websocket may have been down when it was sent).

/** How long a local change overrides broadcasts that contradict it, ms. */
export const LOCAL_CHANGE_GRACE_MS = 3000;

export class PortSet {
  #ports: number[] = [];
  #epoch = 0;
  /** Our own recent changes: port -> [added?, until (ms)]. */
  readonly #recent = new Map<number, { added: boolean; until: number }>();

  get ports(): readonly number[] {
    return this.#ports;
  }

  /** Call before sending GET /api/ports; pass the token to fromFetch. */
  begin(): number {
    return this.#epoch;
  }

  /** A GET /api/ports answer; false (ignored) if the set changed since begin(). */
  fromFetch(ports: readonly number[], token: number): boolean {
    if (token !== this.#epoch) return false;
    this.#set(ports);
    return true;
  }

  /** A "ports" broadcast at local time now. */
  fromBroadcast(ports: readonly number[], now: number): void {
    const next = new Set(ports);
    for (const [port, c] of this.#recent) {
      if (now >= c.until || next.has(port) === c.added) {
        this.#recent.delete(port); // expired, or this broadcast announces our change
      } else if (c.added) {
        next.add(port); // older than our POST
      } else {
        next.delete(port); // older than our DELETE
      }
    }
    this.#set([...next]);
  }

  /** A local change is being sent (POST/DELETE): in-flight GETs are now stale. */
  touch(): void {
    this.#epoch++;
  }

  /** Our POST succeeded at local time now. */
  added(port: number, now: number): void {
    this.#recent.set(port, { added: true, until: now + LOCAL_CHANGE_GRACE_MS });
    this.#set([...this.#ports, port]);
  }

  /** Our DELETE succeeded (or the port was already gone) at local time now. */
  removed(port: number, now: number): void {
    this.#recent.set(port, { added: false, until: now + LOCAL_CHANGE_GRACE_MS });
    this.#set(this.#ports.filter((p) => p !== port));
  }

  has(port: number): boolean {
    return this.#ports.includes(port);
  }

  #set(ports: readonly number[]): void {
    this.#epoch++;
    this.#ports = [...new Set(ports)].sort((a, b) => a - b);
  }
}
