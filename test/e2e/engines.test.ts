/**
 * One lab over two Docker engines. The second engine runs on this machine in
 * a network namespace of its own, joined to this host by a veth (engine2.ts):
 * to the lab it is another machine, reached over a 1500-byte network. Every
 * variant comes up spread over both engines (VTEP i and its hosts on engine
 * i mod 2, R1 and R2 apart), its links between engines are tunnels between
 * the engine hosts, every check passes, and destroy leaves nothing on either.
 * First, with DOCKER_HOST pointing at the second engine, a lab that names no
 * engines lands there and nowhere else.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkStack } from "../../src/cli/check";
import { labStatus } from "../../src/cli/status";
import { listContainers } from "../../src/docker/containers";
import { imageRef } from "../../src/images/definition";
import { nodeTarget, resolveTopology, type LabSpec, type Topology, type VariantName } from "../../src/model";
import { run } from "../../src/util/process";
import {
  copyImages,
  engine2Access,
  engine2Agent,
  engine2Ssh,
  startSsh,
  engine2Host,
  ENGINE2,
  startEngine2,
  twoEngines,
} from "./engine2";
import { containersOf, exec, ok, teardown, up } from "./lab";

let stopEngine2: () => Promise<void> = async () => undefined;

beforeAll(async () => {
  stopEngine2 = await startEngine2();
});

afterAll(async () => {
  delete process.env.DOCKER_HOST;
  await stopEngine2();
});

const onEngine2 = async (stack: string) =>
  (await listContainers({ "vxlan-lab.stack": stack }, engine2Access)).map((c) => c.name).sort();

describe("DOCKER_HOST pointing at another engine", () => {
  const stack = "e2e-remote-engine";
  const variant = "unicast-static-default";

  beforeAll(async () => {
    await copyImages([imageRef("frr"), imageRef("host")]);
    // Everything here (the Pulumi CLI and its providers, the checks) talks to the second engine.
    process.env.DOCKER_HOST = engine2Host;
  });

  afterAll(async () => {
    await teardown(stack);
    delete process.env.DOCKER_HOST;
  });

  it("brings the lab up there, links made by its own wiring helper, and every check passes", async () => {
    ok(await up(stack, { variant, vteps: "2", routers: "1", hostsPerVtep: "1" }), "pulumi up");
    // 1 router, 2 VTEPs, 2 hosts and the helper, all on the second engine.
    expect(await onEngine2(stack)).toEqual(
      ["r1", "s1", "s2", "h1", "h2", "wiring"].map((n) => `vxlab-${stack}-${n}`).sort(),
    );
    const report = await checkStack(stack);
    expect(report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
    expect(report.amplification.perBumFrame).toBe(1);
  });

  it("nothing of the lab lands on the default engine", async () => {
    delete process.env.DOCKER_HOST;
    try {
      expect(await containersOf(stack)).toEqual([]);
    } finally {
      process.env.DOCKER_HOST = engine2Host;
    }
  });

  it("destroy removes everything from the second engine", async () => {
    ok(await teardown(stack), "destroy");
    expect(await onEngine2(stack)).toEqual([]);
  });
});

/**
 * Brings a variant up spread over the engines; asserts that the second engine
 * holds exactly the nodes the placement gives it (and its helper) and that
 * every check of the variant passes. Returns the topology.
 */
async function upSpread(stack: string, variant: VariantName, engines: LabSpec["engines"]): Promise<Topology> {
  const t = resolveTopology({ stack, variant, engines, enginePlacement: "spread" });
  const config = { variant, engines: JSON.stringify(engines), enginePlacement: "spread" };
  ok(await up(stack, config), `pulumi up ${stack}`);
  const expected = t.nodes
    .filter((n) => n.engine === "b")
    .map((n) => n.container)
    .concat(`vxlab-${stack}-wiring-b`)
    .sort();
  expect(await onEngine2(stack)).toEqual(expected);
  const report = await checkStack(stack);
  expect(report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
  return t;
}

/** Interfaces of the engine host's network namespace that are VXLAN devices (a tunnel end left behind). */
async function hostTunnels(netns?: string): Promise<string[]> {
  const r = await run("ip", [...(netns ? ["-n", netns] : []), "-j", "link", "show", "type", "vxlan"]);
  return (JSON.parse(r.stdout || "[]") as { ifname: string }[]).map((l) => l.ifname);
}

const variants = [
  "unicast-static-default",
  "unicast-static-l2",
  "unicast-static-nd",
  "unicast-static-rsc",
  "multicast",
  "unicast-dynamic-l2",
  "unicast-dynamic-nd",
  "evpn",
] as const;

describe.each(variants)("%s over two engines", (variant) => {
  const stack = `e2e-engines-${variant.replace("unicast-", "u").replace("static-", "s-").replace("dynamic-", "d-")}`;
  let t: Topology;

  afterAll(async () => {
    await teardown(stack);
  });

  it("comes up with its nodes split over both engines, links between them tunnelled, and passes every check", async () => {
    t = await upSpread(stack, variant, twoEngines);
  });

  it("a tunnelled link is a VXLAN device to the other engine's host, at the MTU the 1500-byte network carries", async () => {
    const link = t.links.find((l) => l.tunnel && l.kind === "underlay");
    if (!link?.tunnel) throw new Error(`${stack}: no underlay link crosses the engines`);
    const r = await exec(nodeTarget(t, link.a.node), ["ip", "-j", "-d", "link", "show", link.a.iface]);
    const dev = (
      JSON.parse(r.stdout) as {
        mtu: number;
        linkinfo: { info_kind: string; info_data: { id: number; port: number; remote6?: string } };
      }[]
    )[0];
    expect(dev?.linkinfo.info_kind).toBe("vxlan");
    expect(dev?.linkinfo.info_data).toMatchObject({
      id: link.tunnel.vni,
      port: 14789,
      remote6: link.tunnel.aRemote,
    });
    expect(dev?.mtu).toBe(ENGINE2.mtu - 70);
    // A full-size overlay packet crosses: the overlay MTU was chosen to fit the tunnels.
    const [h1, far] = [t.hosts[0], t.hosts.at(-1)];
    if (!h1 || !far || h1.vtep === far.vtep) throw new Error("need hosts behind two VTEPs");
    const size = t.overlay.mtu - 48; // IPv6 40 + ICMPv6 8
    const ping = await exec(nodeTarget(t, h1.name), [
      "ping",
      "-6",
      "-c",
      "3",
      "-W",
      "2",
      "-M",
      "do",
      "-s",
      String(size),
      far.address.split("/")[0] ?? "",
    ]);
    expect(ping.code, ping.stdout + ping.stderr).toBe(0);
  });

  it("status shows each node's engine; destroy leaves no container, helper or tunnel on either engine", async () => {
    const [status] = await labStatus(undefined, stack);
    const engines = new Map(status?.nodes.map((n) => [n.node, n.engineName]));
    for (const n of t.nodes) expect(engines.get(n.name), n.name).toBe(n.engine);
    ok(await teardown(stack), `destroy ${stack}`);
    expect(await containersOf(stack)).toEqual([]);
    expect(await onEngine2(stack)).toEqual([]);
    expect(await hostTunnels()).toEqual([]);
    expect(await hostTunnels(ENGINE2.netns)).toEqual([]);
  });
});

describe("a lab whose second engine is reached over ssh://", () => {
  const stack = "e2e-engines-ssh";
  const variant = "unicast-static-default";
  // Engine b through sshd in its namespace; the tunnels' address comes from the endpoint's host.
  const engines = { a: twoEngines.a, b: { endpoint: engine2Ssh.endpoint, mtu: ENGINE2.mtu } };
  let stopSsh: () => Promise<void> = async () => undefined;
  const agent = process.env.SSH_AUTH_SOCK;

  beforeAll(async () => {
    stopSsh = await startSsh();
    // The engine client authenticates through the agent, as the docker CLI does.
    process.env.SSH_AUTH_SOCK = engine2Agent;
  });

  afterAll(async () => {
    await teardown(stack);
    if (agent === undefined) delete process.env.SSH_AUTH_SOCK;
    else process.env.SSH_AUTH_SOCK = agent;
    await stopSsh();
  });

  it("comes up over SSH with its share of nodes on the second engine, every check passing; destroy leaves nothing", async () => {
    await upSpread(stack, variant, engines);
    ok(await teardown(stack), `destroy ${stack}`);
    expect(await onEngine2(stack)).toEqual([]);
    expect(await containersOf(stack)).toEqual([]);
  });
});
