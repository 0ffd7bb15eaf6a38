/** What `ip -j link show` says of a veth end: its own index and its peer's. */
export interface VethEnd {
  ifindex?: number;
  link_index?: number;
}

/**
 * Two veth ends are each other's peer: each names the other's index. Indexes
 * count per namespace, so a match is evidence and a mismatch proof: an end
 * whose peer was made again elsewhere (or that never joined it) fails.
 */
export function vethPeers(a: VethEnd, b: VethEnd): boolean {
  return a.link_index !== undefined && a.link_index === b.ifindex && b.link_index === a.ifindex;
}
