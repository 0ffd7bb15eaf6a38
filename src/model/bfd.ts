/**
 * BFD timers for the underlay links (and, in evpn, the iBGP sessions to the
 * route reflectors), fitted to the lab's size.
 *
 * A dead or silently dropping link costs about one detection time of traffic
 * (interval x multiplier) plus OSPF's SPF run. The issue's goal, at most 5
 * pings lost at 100 ms, needs 100 ms x 3 (measured: 3 pings; 300 ms x 3 cost
 * 6-8). bfdd runs in software, one session per link end, on the machine that
 * also runs every other node, so the fast timers are the default only where
 * they held on 2 CPUs: up to 16 VTEPs (evpn, the heaviest, with a multihop
 * session per reflector too: no flap while coming up or in the minute after).
 * At 24 VTEPs sessions went down after a minute and at 32 they flapped while
 * coming up, where 300 ms x 3 held. The full test suite (two files' labs at
 * once) passed at 100 ms twice, the host's worst wake-up 174 and 145 ms
 * late, inside the 300 ms detection time. `vxlan-lab:bfdInterval` overrides
 * either way. Figures: bench/results/2026-12-02-failover-session9.md,
 * 2026-12-02-failover-session5.md, 2026-12-03-wakeup-latency-session9-ci.md.
 */
export interface BfdTimers {
  /** Transmit and receive interval, ms. */
  intervalMs: number;
  multiplier: number;
}

/** FRR profile names in frr.conf. */
export const BFD_PROFILES = { underlay: "underlay", reflectors: "reflectors" } as const;

export const BFD_FAST: BfdTimers = { intervalMs: 100, multiplier: 3 };
export const BFD_SLOW: BfdTimers = { intervalMs: 300, multiplier: 3 };
/** Largest lab (VTEPs) that gets the fast timers by default. */
export const BFD_FAST_MAX_VTEPS = 16;

/** What `vxlan-lab:bfdInterval` accepts, ms: 100 (fast, small labs) to 1000. */
export const BFD_INTERVAL = { min: 100, max: 1000 } as const;

/** The underlay's timers: the configured interval, else by the lab's size. */
export function bfdTimers(vteps: number, intervalMs?: number): BfdTimers {
  if (intervalMs !== undefined) return { intervalMs, multiplier: 3 };
  return vteps <= BFD_FAST_MAX_VTEPS ? { ...BFD_FAST } : { ...BFD_SLOW };
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
