/** Link.read keeps a veth only when its two ends still name each other as peer. */
import { describe, expect, it } from "vitest";
import { vethPeers } from "../../src/util/veth";

describe("vethPeers", () => {
  it("holds when each end names the other's index", () => {
    expect(vethPeers({ ifindex: 7, link_index: 2 }, { ifindex: 2, link_index: 7 })).toBe(true);
  });
  it("fails when one end's peer was made again (its index named by nobody)", () => {
    expect(vethPeers({ ifindex: 7, link_index: 9 }, { ifindex: 2, link_index: 7 })).toBe(false);
  });
  it("fails when an end says nothing of a peer (not a veth, or read without its index)", () => {
    expect(vethPeers({ ifindex: 7 }, { ifindex: 2, link_index: 7 })).toBe(false);
    expect(vethPeers({}, {})).toBe(false);
  });
});
