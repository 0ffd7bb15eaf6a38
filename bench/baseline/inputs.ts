/**
 * The shell baseline's inputs, written from the project's own model so the
 * script builds exactly the lab's topology and FRR config: plain files a
 * shell script reads with `read`, one directory per node for what goes inside.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { daemonsFile, frrConfig, isDynamic, stripLength, type LabNode, type Topology } from "../../src/model";
import type { Variant } from "../../src/overlay/variant";

export interface BaselineImages {
  frr: string;
  host: string;
}

/** The baseline's container name for a node: `vxbase-<prefix>-<node>`. */
export const baselineContainer = (prefix: string, node: string) => `vxbase-${prefix}-${node.toLowerCase()}`;

const tsv = (rows: string[][]) => rows.map((r) => `${r.join("\t")}\n`).join("");

function imageOf(n: LabNode, images: BaselineImages): string {
  if (n.kind === "router" || n.kind === "vtep") return images.frr;
  if (n.kind === "host") return images.host;
  throw new Error(`the shell baseline has no image for ${n.name} (${n.kind})`);
}

/** A host's eth0: its seed MAC, the overlay MTU, its address (no DAD wait), up. */
function hostSetup(t: Topology, host: string): string {
  const h = t.hosts.find((x) => x.name === host);
  if (!h) throw new Error(`no host ${host} in the topology`);
  const lines = [
    `ip link set eth0 address ${h.mac} mtu ${t.overlay.mtu}`,
    `ip -6 addr add ${h.address} dev eth0 nodad`,
    "ip link set eth0 up",
  ];
  return `${lines.join("\n")}\n`;
}

/**
 * Writes nodes.tsv, links.tsv, hosts.tsv, loopbacks.txt, prefix, and per node
 * frr.conf + daemons (routers, VTEPs), setup.sh (hosts) and overlay.sh (every
 * node the variant has commands for: the VTEPs, and the hosts in rsc).
 */
export function writeBaselineInputs(
  t: Topology,
  variant: Variant,
  dir: string,
  images: BaselineImages,
  prefix: string,
): void {
  if (isDynamic(t.variant)) {
    throw new Error(
      `the shell baseline builds static variants only; ${t.variant} needs a registry and agents`,
    );
  }
  mkdirSync(dir, { recursive: true });
  const put = (path: string, content: string) => {
    const file = join(dir, path);
    mkdirSync(join(file, ".."), { recursive: true });
    writeFileSync(file, content);
  };

  put("prefix", `${prefix}\n`);
  put(
    "nodes.tsv",
    tsv(
      t.nodes.map((n) => [
        n.name,
        n.kind,
        imageOf(n, images),
        baselineContainer(prefix, n.name),
        n.capabilities.join(","),
        Object.entries(n.sysctls)
          .map(([k, v]) => `${k}=${v}`)
          .join(","),
      ]),
    ),
  );
  put("links.tsv", tsv(t.links.map((l) => [l.a.node, l.a.iface, l.b.node, l.b.iface, String(l.mtu)])));
  put("hosts.tsv", tsv(t.hosts.map((h) => [h.name, stripLength(h.address)])));
  put("loopbacks.txt", tsv(t.nodes.filter((n) => n.kind === "vtep").map((n) => [n.name, n.loopback ?? ""])));

  for (const n of t.nodes) {
    if (n.kind === "router" || n.kind === "vtep") {
      put(`${n.name}/frr.conf`, frrConfig(t, n.name));
      put(`${n.name}/daemons`, daemonsFile(t, n.name));
    } else if (n.kind === "host") {
      put(`${n.name}/setup.sh`, hostSetup(t, n.name));
    }
  }
  for (const [node, commands] of Object.entries(variant.commands(t))) {
    put(`${node}/overlay.sh`, `${commands.join("\n")}\n`);
  }
}
