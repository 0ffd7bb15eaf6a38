/**
 * Data plane: TCP throughput and RTT host to host across the overlay, against
 * the same between the two VTEPs' loopbacks across the underlay, in the same
 * run; and proof that the MTU is right (a do-not-fragment ping of exactly the
 * overlay MTU crosses, one byte more is refused at the host). iperf3 -J gives
 * throughput and TCP's own smoothed RTT as JSON. Prints figures.
 *
 *   node --import tsx bench/dataplane.ts [--variant unicast-static-default] [--seconds 5]
 */
import { checkStack } from "../src/cli/check";
import { destroyStack } from "../src/cli/destroy";
import { pulumi, selectStack } from "../src/cli/pulumi";
import { exec } from "../src/docker/exec";
import { getNode, resolveTopology } from "../src/model";
import { benchArgs } from "./args";
import { iperf } from "./lib";

async function main() {
  const arg = benchArgs("bench/dataplane.ts", ["variant", "seconds"]);
  const variant = arg("variant", "unicast-static-default");
  const seconds = Number(arg("seconds", "5"));
  const stack = "bench-dataplane";
  await selectStack(stack);
  await pulumi(["config", "set", "--stack", stack, "variant", variant]);
  try {
    const up = await pulumi(["up", "--stack", stack, "--yes", "--skip-preview"]);
    if (up.code !== 0) throw new Error(up.stdout.slice(-3000));
    const report = await checkStack(stack);
    if (!report.ok) throw new Error(`checks failed: ${JSON.stringify(report.checks.filter((c) => !c.ok))}`);
    const t = resolveTopology({ stack, variant });
    const h1 = t.hosts[0];
    const far = [...t.hosts].reverse().find((h) => h.vtep !== h1?.vtep);
    if (!h1 || !far) throw new Error("need two hosts behind different VTEPs");
    const a = getNode(t, h1.vtep);
    const b = getNode(t, far.vtep);
    const overlay = await iperf(
      getNode(t, far.name).container,
      getNode(t, h1.name).container,
      far.address.split("/")[0] ?? "",
      seconds,
    );
    const underlay = await iperf(b.container, a.container, b.loopback ?? "", seconds, a.loopback);
    // ICMPv6 payload + 8 (ICMP) + 40 (IPv6) = the packet on the wire.
    const payload = t.overlay.mtu - 48;
    const df = async (size: number) =>
      (
        await exec(getNode(t, h1.name).container, [
          "ping",
          "-6",
          "-c1",
          "-W2",
          "-M",
          "do",
          "-s",
          String(size),
          far.address.split("/")[0] ?? "",
        ])
      ).code;
    const fits = await df(payload);
    const tooBig = await df(payload + 1);
    console.log(
      `# data plane (${variant}): ${h1.name} -> ${far.name} over VXLAN vs ${a.name} -> ${b.name} loopbacks, ${seconds}s each\n`,
    );
    console.log("| path | throughput Gbit/s | TCP mean RTT ms | retransmits |");
    console.log("|---|---|---|---|");
    console.log(
      `| overlay ${h1.name} -> ${far.name} | ${overlay.gbps.toFixed(2)} | ${overlay.rttMs.toFixed(3)} | ${overlay.retransmits} |`,
    );
    console.log(
      `| underlay ${a.name} -> ${b.name} | ${underlay.gbps.toFixed(2)} | ${underlay.rttMs.toFixed(3)} | ${underlay.retransmits} |`,
    );
    console.log(`\noverlay MTU ${t.overlay.mtu} (underlay ${t.underlay.mtu} - 70 VXLAN/IPv6 overhead):`);
    console.log(
      `- ping -M do -s ${payload} (a ${t.overlay.mtu}-byte packet): ${fits === 0 ? "crosses" : "FAILS"}`,
    );
    console.log(
      `- ping -M do -s ${payload + 1} (one byte over): ${tooBig === 0 ? "CROSSES (MTU wrong)" : "refused, as it must be"}`,
    );
  } finally {
    await destroyStack(stack, { keepConfig: false });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
