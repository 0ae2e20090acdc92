// The ephemeral-port gauge: a client reaching one destination (address and
// port) can hold at most one socket per local port in ip_local_port_range,
// TIME_WAIT included. Here: the busiest destination of a watched port
// against the size of that range.

export interface EphemeralUse {
  /** The busiest destination ("127.0.0.1:8081"), or "" when none. */
  destination: string;
  /** Client-side sockets to it (every state: each holds a local port). */
  used: number;
  /** Size of ip_local_port_range (0 when unknown). */
  range: number;
  /** used / range in [0, 1]; 0 when range is unknown. */
  fraction: number;
  /**
   * The socket table was capped, so `used` is the total of client-side
   * sockets (all destinations): an upper bound.
   */
  approximate: boolean;
}

/**
 * @param destinations client-side sockets per destination (SocketTable.clientDestinations)
 * @param clientTotal every client-side socket of the port (sum of the client counts)
 * @param complete the table holds every socket of the port
 * @param range ip_local_port_range size
 */
export function ephemeralUse(destinations: ReadonlyMap<string, number>, clientTotal: number, complete: boolean, range: number): EphemeralUse {
  let destination = '';
  let used = 0;
  for (const [d, n] of destinations) {
    if (n > used || (n === used && d < destination)) {
      destination = d;
      used = n;
    }
  }
  const approximate = !complete && clientTotal > used;
  if (approximate) used = clientTotal;
  const fraction = range > 0 ? Math.min(1, used / range) : 0;
  return { destination, used, range, fraction, approximate };
}

/** Parses "32768 60999" (ip_local_port_range) into its size, 0 if unreadable. */
export function portRangeSize(value: string | undefined): number {
  if (!value) return 0;
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(value);
  if (!m) return 0;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return hi >= lo ? hi - lo + 1 : 0;
}
