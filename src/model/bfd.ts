/**
 * BFD timers for the underlay links (and, in evpn, the iBGP sessions to the
 * route reflectors), fitted to the lab's size.
 *
 * A dead or silently dropping link costs about one detection time of traffic
 * (interval x multiplier) plus OSPF's SPF run. The issue's goal, at most 5
 * pings lost at 100 ms, needs 100 ms x 3 (measured: 3 pings). But bfdd runs
 * in software, one session per link end, on the machine that also runs every
 * other node. On 2 CPUs with other labs beside it, 100 ms x 3 held at 16
 * VTEPs in evpn (the heaviest: a multihop session per reflector too), and
 * did not at 24 (sessions down after a minute) or 32 (flaps while coming up),
 * where 300 ms x 3 held; and in the full test suite (two files' labs at once)
 * a 3-VTEP lab at 100 ms lost an adjacency right after its checks, twice
 * (evpn in session 5, multicast in session 6). So the
 * default is 300 ms x 3 at every size, and `vxlan-lab:bfdInterval 100` gives
 * the fast timers to a lab with the CPU for them (3 pings for a silent drop
 * instead of 6-8). Figures: bench/results/2026-12-02-failover-session5.md.
 */
export interface BfdTimers {
  /** Transmit and receive interval, ms. */
  intervalMs: number;
  multiplier: number;
}

/** FRR profile names in frr.conf. */
export const BFD_PROFILES = { underlay: "underlay", reflectors: "reflectors" } as const;

export const BFD_SLOW: BfdTimers = { intervalMs: 300, multiplier: 3 };

/** What `vxlan-lab:bfdInterval` accepts, ms: 100 (fast, small labs) to 1000. */
export const BFD_INTERVAL = { min: 100, max: 1000 } as const;

/** The underlay's timers: the configured interval, else 300 ms x 3. */
export function bfdTimers(intervalMs?: number): BfdTimers {
  return intervalMs !== undefined ? { intervalMs, multiplier: 3 } : { ...BFD_SLOW };
}

/**
 * The multihop sessions from each VTEP to each route reflector (evpn): the
 * same interval, but a detection time over twice the underlay's. A link
 * failure costs the path to a reflector one underlay detection plus the
 * reroute; the session must ride that out and fall only when the reflector
 * itself is gone.
 */
export function reflectorBfd(underlay: BfdTimers): BfdTimers {
  return { intervalMs: underlay.intervalMs, multiplier: 2 * underlay.multiplier + 1 };
}
