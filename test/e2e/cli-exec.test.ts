/**
 * scripts/lab exec, capture and the deployed-stack readers on a real lab:
 * output streamed live, Ctrl-C ending the command IN the node, exit codes
 * passed through, a real TTY (through a pseudo-terminal from util-linux's
 * `script`), pcap streamed out of tcpdump, config drift reported.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa, type ExecaChildProcess } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pulumi } from "../../src/cli/pulumi";
import { REPO_ROOT } from "../../src/util/paths";
import { exec, ok, teardown, up } from "./lab";

const stack = "cli-exec-mc";
const LAB = join(REPO_ROOT, "scripts/lab");
const s1 = `vxlab-${stack}-s1`;

const lab = (args: string[]) => execa(LAB, args, { reject: false, stdin: "ignore" });

/** Resolves with everything the process wrote so far once `re` matches it. */
function waitFor(p: ExecaChildProcess, re: RegExp): Promise<string> {
  let seen = "";
  return new Promise((resolve, reject) => {
    const on = (d: Buffer) => {
      seen += d.toString();
      if (re.test(seen)) resolve(seen);
    };
    p.stdout?.on("data", on);
    p.all?.on("data", on);
    p.then(
      (r) =>
        reject(new Error(`exited ${String(r.exitCode)} before ${String(re)}:\n${seen}\n${String(r.stderr)}`)),
      reject,
    );
  });
}

/** Is a process whose command line contains `pattern` running in the container? */
async function runningIn(container: string, pattern: string): Promise<boolean> {
  const r = await exec(container, ["pgrep", "-f", pattern]);
  return r.code === 0;
}

/** Runs `cmd` in a pseudo-terminal (util-linux `script`): our stdin a pipe we type into. */
const inPty = (cmd: string) =>
  execa("script", ["-qefc", cmd, "/dev/null"], { reject: false, stdin: "pipe", cwd: REPO_ROOT });

beforeAll(async () => {
  ok(await up(stack, { "vxlan-lab:variant": "multicast" }), `pulumi up ${stack}`);
});

afterAll(async () => {
  await teardown(stack);
});

describe("scripts/lab exec", () => {
  it("streams the first line while the command still runs, and SIGINT ends it in the node", async () => {
    const p = lab(["exec", stack, "S1", "--", "sh", "-c", "echo first; sleep 301"]);
    await waitFor(p, /first\n/);
    // The command had not finished when its first line arrived.
    expect(await runningIn(s1, "sleep 301")).toBe(true);
    p.kill("SIGINT");
    const r = await p;
    expect(r.exitCode, String(r.stderr)).toBe(130);
    expect(await runningIn(s1, "sleep 301")).toBe(false);
  });

  it("ends the command in the node when our reader goes away (| head)", async () => {
    const r = await execa(
      "sh",
      ["-c", `${LAB} exec ${stack} S1 sh -c 'while :; do echo epipe; sleep 0.1; done' | head -n 1`],
      {
        reject: false,
        stdin: "ignore",
      },
    );
    expect(r.stdout).toBe("epipe");
    expect(await runningIn(s1, "echo epipe")).toBe(false);
  });

  it("passes the exit code through and keeps stdout and stderr apart", async () => {
    const r = await lab(["exec", stack, "s1", "sh", "-c", "echo out; echo err >&2; exit 7"]);
    expect(r.exitCode).toBe(7);
    expect(r.stdout).toBe("out");
    expect(r.stderr).toBe("err");
  });

  it("feeds piped stdin to the command", async () => {
    const r = await execa(LAB, ["exec", stack, "H1", "--", "sh", "-c", "cat; hostname"], {
      reject: false,
      input: "piped\n",
    });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stdout).toBe("piped\nH1");
  });

  it("rejects an unknown node, naming the lab's nodes", async () => {
    const r = await lab(["exec", stack, "S9", "--", "true"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('no node named "S9"; nodes are R1, R2, S1, S2, S3, H1, H2, H3, H4');
  });

  it("gives a real TTY on a terminal, sized like ours and following a resize", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lab-tty-"));
    const go = join(dir, "resize");
    // The node's command waits for the new size (bounded: 60 s) and prints it again. It waits
    // for the whole of it: "stty rows 40 cols 120" is two resizes (40x101, then 40x120), and a
    // read between them sees the first. If they reach the engine out of order (CI, stop 20),
    // the node stays at 40 101 and this fails.
    const nodeCmd = `tty; stty size; i=0; while [ "$(stty size)" != "40 120" ] && [ $i -lt 300 ]; do sleep 0.2; i=$((i+1)); done; stty size`;
    const p = inPty(
      `stty rows 33 cols 101; ${LAB} exec ${stack} S1 -- sh -c '${nodeCmd}' </dev/tty & ` +
        `while [ ! -e ${go} ]; do sleep 0.1; done; stty rows 40 cols 120; wait $!`,
    );
    const first = await waitFor(p, /33 101/);
    expect(first).toMatch(/\/dev\/pts\/\d+/);
    writeFileSync(go, "");
    const r = await p;
    rmSync(dir, { recursive: true });
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+\r*\n33 101\r*\n40 120/); // two ptys in a row: \r\r\n
  });

  it("sends Ctrl-C through the TTY: the command in the node gets SIGINT", async () => {
    const p = inPty(`${LAB} exec ${stack} S1 -- sh -c 'echo ready; sleep 302'`);
    await waitFor(p, /ready/);
    expect(await runningIn(s1, "sleep 302")).toBe(true);
    p.stdin?.write("\x03");
    const r = await p;
    expect(r.exitCode, r.stdout).toBe(130);
    expect(await runningIn(s1, "sleep 302")).toBe(false);
  });

  it("without a command, opens bash on a TTY", async () => {
    const p = inPty(`${LAB} exec ${stack} H2`);
    await waitFor(p, /H2/);
    p.stdin?.write("tty; exit 4\n");
    const r = await p;
    expect(r.exitCode, r.stdout).toBe(4);
    expect(r.stdout).toMatch(/\/dev\/pts\/\d+/);
  });

  it("SIGTERM to scripts/lab ends a TTY shell in the node (bash ignores the ^C a SIGINT would send)", async () => {
    const p = inPty(`${LAB} exec ${stack} H3`);
    await waitFor(p, /H3/);
    const h3 = `vxlab-${stack}-h3`;
    expect(await runningIn(h3, "bash")).toBe(true);
    const pids = await execa("pgrep", ["-f", `src/cli/lab.ts exec ${stack} H3`], { reject: false });
    const pid = Number(pids.stdout.split("\n")[0]);
    expect(pid).toBeGreaterThan(0);
    process.kill(pid, "SIGTERM");
    await p;
    expect(await runningIn(h3, "bash")).toBe(false);
  });
});

/** The UDP/4789 packets of a pcap file: its bytes parsed here, Ethernet + IPv6 without extension headers. */
function vxlanPackets(pcap: Buffer): { dst: string; vni: number; innerType: number }[] {
  expect(pcap.length).toBeGreaterThanOrEqual(24);
  const magic = pcap.readUInt32LE(0);
  // Microsecond or nanosecond pcap, little-endian as tcpdump writes on x86.
  expect([0xa1b2c3d4, 0xa1b23c4d]).toContain(magic);
  expect(pcap.readUInt32LE(20)).toBe(1); // link type Ethernet
  const found: { dst: string; vni: number; innerType: number }[] = [];
  for (let off = 24; off + 16 <= pcap.length;) {
    const len = pcap.readUInt32LE(off + 8);
    const pkt = pcap.subarray(off + 16, off + 16 + len);
    off += 16 + len;
    if (pkt.length < 14 + 40 + 8 + 8 + 14 || pkt.readUInt16BE(12) !== 0x86dd) continue;
    const ip = pkt.subarray(14);
    if (ip[6] !== 17) continue; // next header UDP
    const udp = ip.subarray(40);
    if (udp.readUInt16BE(2) !== 4789) continue;
    const vx = udp.subarray(8);
    const dst = [...Array(8).keys()].map((i) => ip.readUInt16BE(24 + 2 * i).toString(16)).join(":");
    found.push({ dst, vni: vx.readUIntBE(4, 3), innerType: vx.readUInt16BE(8 + 12) });
  }
  return found;
}

describe("scripts/lab capture", () => {
  it("streams the VTEP uplinks' packets as pcap, a UDP/4789 VXLAN frame among them, and SIGINT stops tcpdump in the node", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lab-cap-"));
    // Which uplink a frame takes is the underlay's choice: capture both.
    const caps = ["r1", "r2"].map((iface) => {
      const file = join(dir, `${iface}.pcap`);
      const p = execa(LAB, ["capture", stack, "S1", iface, "-w", file, "udp", "port", "4789"], {
        reject: false,
        stdin: "ignore",
        all: true,
      });
      return { file, p, listening: waitFor(p, /listening on/) };
    });
    await Promise.all(caps.map((c) => c.listening));
    // A fresh neighbour resolution (BUM) and unicast echoes from H1 (behind S1) to H3 (behind S2).
    const ping = await exec(`vxlab-${stack}-h1`, [
      "sh",
      "-c",
      "ip -6 neigh flush dev eth0; ping -c 3 -i 0.3 -W 5 2001:db8:ff::12",
    ]);
    expect(ping.code, ping.stdout).toBe(0);
    // Packets travel node -> engine -> CLI -> file: give the stream a moment before Ctrl-C.
    await new Promise((r) => setTimeout(r, 1500));
    for (const c of caps) c.p.kill("SIGINT");
    const results = await Promise.all(caps.map((c) => c.p));
    for (const r of results) expect(r.exitCode, String(r.all)).toBe(0);
    expect(await runningIn(s1, "tcpdump")).toBe(false);
    const packets = caps.flatMap((c) => (existsSync(c.file) ? vxlanPackets(readFileSync(c.file)) : []));
    rmSync(dir, { recursive: true });
    expect(packets.length).toBeGreaterThan(0);
    expect(packets.every((x) => x.vni === 100)).toBe(true);
    // Inner frames are IPv6 (neighbour discovery, echo).
    expect(packets.some((x) => x.innerType === 0x86dd)).toBe(true);
    // The multicast variant floods BUM to its group.
    expect(packets.map((x) => x.dst)).toContain("ff35:0:0:0:0:0:0:100");
  });

  it("on a terminal without -w, prints tcpdump's decoded lines instead of pcap", async () => {
    const p = inPty(`${LAB} capture ${stack} S1 vxlan100 -c 1 icmp6 and 'ip6[40] = 128'`);
    await waitFor(p, /listening on vxlan100/);
    const ping = await exec(`vxlab-${stack}-h1`, ["ping", "-c", "1", "-W", "5", "2001:db8:ff::12"]);
    expect(ping.code, ping.stdout).toBe(0);
    const r = await p;
    expect(r.exitCode, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/IP6 2001:db8:ff::10 > 2001:db8:ff::12: ICMP6, echo request/);
  });

  it("refuses an interface the node does not have, naming its interfaces", async () => {
    const r = await lab(["capture", stack, "S1", "eth9"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/S1 has no interface "eth9"; its interfaces are lo, .*r1.*vxlan100/);
  });
});

describe("check, status and graph read the deployed stack", () => {
  it("warn when Pulumi.<stack>.yaml changed since the last up, and graph draws the deployed lab", async () => {
    ok(await pulumi(["config", "set", "--stack", stack, "vxlan-lab:vteps", "4"]), "config set");
    try {
      const st = await lab(["status", stack]);
      expect(st.exitCode, String(st.stderr)).toBe(0);
      expect(st.stderr).toContain(
        `Pulumi.${stack}.yaml changed since the last \`up\` (deployed -> file: vteps: unset -> 4)`,
      );
      const g = await lab(["graph", stack]);
      expect(g.exitCode, String(g.stderr)).toBe(0);
      expect(g.stderr).toContain("changed since the last `up`");
      expect(g.stdout).toContain('data-node="S3"');
      expect(g.stdout).not.toContain('data-node="S4"');
    } finally {
      ok(await pulumi(["config", "rm", "--stack", stack, "vxlan-lab:vteps"]), "config rm");
    }
    const st = await lab(["status", stack]);
    expect(st.stderr).not.toContain("changed since");
  });

  it("say clearly when a stack is not up", async () => {
    // A stack with a config file and no state: configured, never brought up.
    const none = "cli-exec-none";
    const file = join(REPO_ROOT, `Pulumi.${none}.yaml`);
    writeFileSync(file, "config:\n  vxlan-lab:variant: multicast\n");
    try {
      for (const args of [
        ["check", none],
        ["exec", none, "S1", "true"],
        ["capture", none, "S1", "r1"],
      ]) {
        const r = await lab(args);
        expect(r.exitCode, args.join(" ")).toBe(1);
        expect(r.stderr).toContain(`stack ${none} is not up`);
        expect(r.stderr).toContain(`scripts/lab up ${none}`);
      }
      const g = await lab(["graph", none]);
      expect(g.exitCode).toBe(0);
      expect(g.stderr).toContain(`${none} is not up: drawing it from Pulumi.${none}.yaml`);
    } finally {
      rmSync(file);
    }
  });
});
