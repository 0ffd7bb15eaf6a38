import { readFileSync } from "node:fs";
import { join } from "node:path";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { topologySvg } from "../../src/graph/svg";
import { resolveTopology } from "../../src/model";
import { REPO_ROOT } from "../../src/util/paths";

interface G {
  "@_class": string;
  "@_data-node"?: string;
  "@_data-link"?: string;
  "@_data-engine"?: string;
  "@_data-tunnel"?: string;
  text?: unknown;
}

function parse(svg: string): { groups: G[]; text: string } {
  expect(XMLValidator.validate(svg)).toBe(true);
  const doc = new XMLParser({
    ignoreAttributes: false,
    isArray: (name) => name === "g" || name === "text",
  }).parse(svg) as {
    svg: { g: G[] };
  };
  return { groups: doc.svg.g, text: svg };
}

describe("topology picture", () => {
  it("is well-formed SVG with every node and link of the model", () => {
    for (const spec of [
      { stack: "a", variant: "unicast-static-default" },
      { stack: "b", variant: "multicast", vteps: 8, routers: 1, hostsPerVtep: 2 },
    ]) {
      const t = resolveTopology(spec);
      const { groups, text } = parse(topologySvg(t));
      expect(
        groups
          .filter((g) => g["@_class"] === "node")
          .map((g) => g["@_data-node"])
          .sort(),
      ).toEqual(t.nodes.map((n) => n.name).sort());
      expect(
        groups
          .filter((g) => g["@_class"] === "link")
          .map((g) => g["@_data-link"])
          .sort(),
      ).toEqual(t.links.map((l) => l.name).sort());
      for (const n of t.nodes.filter((x) => x.loopback)) expect(text).toContain(`lo ${n.loopback}`);
      for (const h of t.hosts) expect(text).toContain(h.address);
      expect(text).toContain("overlay 2001:db8:ff::/64");
    }
  });
  it("labels underlay links with their /64 and shows the rsc subnet", () => {
    const t = resolveTopology({ stack: "c", variant: "unicast-static-rsc" });
    const svg = topologySvg(t);
    expect(svg).toContain("r1 2001:db8:ffff:1::/64");
    expect(svg).toContain("2001:db8:fe::/64");
  });
  it("the README's picture is the default topology as drawn today", () => {
    const t = resolveTopology({ stack: "unicast-static-default", variant: "unicast-static-default" });
    expect(readFileSync(join(REPO_ROOT, "docs/topology.svg"), "utf8")).toBe(topologySvg(t));
  });

  it("over several engines: each node names its engine, and exactly the tunnelled links are marked", () => {
    const engines = {
      a: { endpoint: "unix:///var/run/docker.sock", address: "fd00:e2::1" },
      b: { endpoint: "unix:///run/vxlan-lab-engine2.sock", address: "fd00:e2::2" },
    };
    const t = resolveTopology({ stack: "x", variant: "multicast", engines, enginePlacement: "spread" });
    const { groups, text } = parse(topologySvg(t));
    for (const n of t.nodes.filter((x) => x.kind !== "agent")) {
      expect(groups.find((g) => g["@_data-node"] === n.name)?.["@_data-engine"], n.name).toBe(n.engine);
    }
    const tunnelled = groups.filter((g) => g["@_data-tunnel"] !== undefined).map((g) => g["@_data-link"]);
    expect(tunnelled.sort()).toEqual(
      t.links
        .filter((l) => l.tunnel)
        .map((l) => l.name)
        .sort(),
    );
    expect(text).toContain("S2 @ b");
    // A lab on the default engine is drawn as before: no engine marks.
    const plain = parse(topologySvg(resolveTopology({ stack: "y", variant: "multicast" })));
    expect(plain.groups.some((g) => g["@_data-engine"] !== undefined)).toBe(false);
  });
});
