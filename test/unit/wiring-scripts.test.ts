/**
 * The wiring scripts run for real, in sh, with stand-ins for nsenter and ip
 * that record what ip was asked: proof that each batch line reaches ip's
 * stdin (a here-document attached to the wrong command would feed nothing).
 */
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { tunnelScript } from "../../src/docker/tunnel";
import { createScript, deleteScript } from "../../src/docker/wiring";

async function run(script: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "wiring-"));
  const log = join(dir, "log");
  writeFileSync(log, "");
  // nsenter -t PID -n CMD...: runs CMD, logging the namespace it would enter.
  writeFileSync(
    join(dir, "nsenter"),
    `#!/bin/sh\nwhile [ "$1" != "-n" ]; do [ "$1" = "-t" ] && echo "ns $2" >> ${log}; shift; done; shift; exec "$@"\n`,
  );
  // ip: logs its arguments, and the batch it reads from stdin.
  writeFileSync(
    join(dir, "ip"),
    `#!/bin/sh\necho "ip $*" >> ${log}\ncase "$*" in *"-batch -"*) sed 's/^/  /' >> ${log};; esac\nexit 0\n`,
  );
  for (const f of ["nsenter", "ip"]) chmodSync(join(dir, f), 0o755);
  const r = await execa("sh", ["-c", script], {
    env: { PATH: `${dir}:${process.env.PATH ?? ""}` },
    stdin: "ignore",
    reject: false,
  });
  expect(r.exitCode, r.stderr).toBe(0);
  return readFileSync(log, "utf8").trim().split("\n");
}

// A PID that exists, so the delete script's "namespace still there" test passes.
const pid = process.pid;

describe("wiring scripts, run", () => {
  it("a delete hands `link del` of every end to ip in the end's namespace", async () => {
    const log = await run(
      deleteScript([
        { pid, iface: "r1" },
        { pid, iface: "s3" },
      ]),
    );
    expect(log).toEqual([`ns ${pid}`, "ip -force -batch -", "  link del r1", "  link del s3"]);
  });

  it("a create clears a leftover end, adds the pair and brings both ends up", async () => {
    const log = await run(
      createScript([
        {
          a: { container: "s1", pid, iface: "r1" },
          b: { container: "r1", pid: pid + 0, iface: "s1" },
          mtu: 1430,
        },
      ]),
    );
    expect(log).toContain("  link del r1");
    expect(log).toContain(`  link add r1 mtu 1430 type veth peer name s1 mtu 1430 netns ${pid}`);
    expect(log.filter((l) => l === "  link set r1 up" || l === "  link set s1 up")).toHaveLength(2);
  });

  it("a tunnel end: the node's old end goes first (it holds the VNI on the host), then made on the host, moved into the node, renamed, up", async () => {
    // The helper's shell finds the engine host as its nearest ancestor in another namespace; here: none differs,
    // so the script is run with that search replaced by a fixed PID.
    const script = tunnelScript([
      {
        end: { container: "r2", pid, iface: "s3" },
        vni: 0xabc,
        port: 14789,
        remote: "fd00:e2::1",
        mtu: 1430,
      },
    ]).replace(/self=\$\(readlink[\s\S]*?exit 1; \}\n/, "eng=4242\n");
    const log = await run(script);
    expect(log).toEqual([
      `ns ${pid}`,
      "ip link del s3",
      "ns 4242",
      "ip link del vxtabc",
      "ns 4242",
      "ip link add vxtabc mtu 1430 type vxlan id 2748 remote fd00:e2::1 dstport 14789 nolearning",
      "ns 4242",
      `ip link set vxtabc netns ${pid}`,
      `ns ${pid}`,
      "ip -batch -",
      "  link set vxtabc name s3",
      "  link set s3 up",
    ]);
  });
});
