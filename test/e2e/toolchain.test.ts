/** The bootstrap's products: the pinned CLI, a working preview, and the four images. */
import { describe, expect, it, afterAll } from "vitest";
import { pinnedPulumiVersion } from "../../src/bootstrap/pulumi";
import { pulumi, selectStack, stackExists } from "../../src/cli/pulumi";
import { docker } from "../../src/docker/client";
import { createContainer, removeContainer } from "../../src/docker/containers";
import { exec } from "../../src/docker/exec";
import { imageRef } from "../../src/images/definition";
import { z } from "zod";
import { EtcdRangeSchema } from "../../src/checks/schemas";
import { CAPABILITIES } from "../../src/model";
import { parseJson } from "../../src/util/json";

const ipv6 = { "net.ipv6.conf.all.disable_ipv6": "0", "net.ipv6.conf.default.disable_ipv6": "0" };
const smoke = ["vxlab-smoke-frr", "vxlab-smoke-host", "vxlab-smoke-registry", "vxlab-smoke-agent"];

afterAll(async () => {
  for (const c of smoke) await removeContainer(c);
});

describe("pulumi", () => {
  it("is the pinned version", async () => {
    const r = await pulumi(["version"]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`v${pinnedPulumiVersion()}`);
  });

  it("previews a variant's stack with the local backend, no login, no prompt, and leaves no stack it made", async () => {
    // The variant's own stack (its config is tracked); a user's, if there is one, is only read.
    const existed = await stackExists("unicast-static-default");
    await selectStack("unicast-static-default");
    const r = await pulumi(["preview", "--stack", "unicast-static-default", "--json"]);
    if (!existed) {
      const rm = await pulumi(["stack", "rm", "unicast-static-default", "--yes", "--preserve-config"]);
      expect(rm.code, rm.stderr).toBe(0);
      expect(await stackExists("unicast-static-default")).toBe(false);
    }
    expect(r.code, r.stderr).toBe(0);
    const preview = z.looseObject({ steps: z.array(z.looseObject({ urn: z.string(), op: z.string() })) });
    const steps = parseJson(preview, r.stdout, "pulumi preview --json").steps;
    // The seed's 9 nodes and the one wiring helper that makes every link.
    const containers = steps
      .filter((s) => s.urn.includes("vxlan-lab:Container"))
      .map((s) => s.urn.split("::").pop());
    expect(containers.sort()).toEqual(["H1", "H2", "H3", "H4", "R1", "R2", "S1", "S2", "S3", "wiring"]);
  });
});

describe("images", () => {
  it("FRR image: its label records the installed FRR, every daemon we use starts, and jq reads vtysh's JSON", async () => {
    const ref = imageRef("frr");
    const info = await docker().getImage(ref).inspect();
    const label = info.Config.Labels?.["org.vxlan-lab.frr-version"];
    expect(label).toMatch(/^\d+\.\d+/);

    const c = await createContainer({
      name: smoke[0]!,
      hostname: "smoke",
      image: ref,
      labels: { "vxlan-lab.test": "smoke" },
      capAdd: [...CAPABILITIES.vtep],
      sysctls: ipv6,
    });
    expect(c.pid).toBeGreaterThan(0);
    const installed = await exec(smoke[0]!, ["dpkg-query", "-W", "-f=${Version}", "frr"]);
    expect(installed.stdout).toBe(label);

    const daemons = ["zebra", "ospf6d", "pim6d", "bgpd", "bfdd", "staticd"];
    const conf = daemons.map((d) => `${d}=yes`).join("\\n");
    const start = await exec(smoke[0]!, [
      "sh",
      "-c",
      `printf '${conf}\\nvtysh_enable=yes\\n' > /etc/frr/daemons && printf 'router ospf6\\n ospf6 router-id 10.0.0.9\\n' > /etc/frr/frr.conf && /usr/lib/frr/frrinit.sh start`,
    ]);
    expect(start.code, start.stderr).toBe(0);
    for (const d of daemons) {
      const r = await exec(smoke[0]!, ["pgrep", "-x", d]);
      expect(r.code, `${d} is not running`).toBe(0);
    }
    // vtysh reaches ospf6d and answers in JSON; the daemon may still be
    // connecting to zebra right after frrinit returns, so ask a few times.
    let ospf = { code: -1, stdout: "", stderr: "" };
    for (let i = 0; i < 50 && !ospf.stdout.trim().startsWith("{"); i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      ospf = await exec(smoke[0]!, ["vtysh", "-c", "show ipv6 ospf6 json"]);
    }
    expect(ospf.code, ospf.stderr).toBe(0);
    expect(JSON.parse(ospf.stdout)).toHaveProperty("routerId");
    // jq reads FRR's JSON inside the node (multicast VTEPs wait on pim6d's with it).
    const jq = await exec(smoke[0]!, ["sh", "-c", "vtysh -c 'show ipv6 ospf6 json' | jq -e -r .routerId"]);
    expect([jq.code, jq.stdout.trim()], jq.stderr).toEqual([0, "10.0.0.9"]);
    for (const tool of ["ip", "bridge", "nft", "tcpdump", "ping", "traceroute", "mtr", "iperf3", "jq"]) {
      expect((await exec(smoke[0]!, ["sh", "-c", `command -v ${tool}`])).code, tool).toBe(0);
    }
  });

  it("host image: the web server answers with the host's name", async () => {
    await createContainer({
      name: smoke[1]!,
      hostname: "H9",
      image: imageRef("host"),
      labels: { "vxlan-lab.test": "smoke" },
      capAdd: [...CAPABILITIES.host],
      sysctls: ipv6,
    });
    let body = "";
    for (let i = 0; i < 20 && !body.includes("H9"); i++) {
      body = (await exec(smoke[1]!, ["busybox", "wget", "-qO-", "http://[::1]/"])).stdout;
      if (!body.includes("H9")) await new Promise((r) => setTimeout(r, 100));
    }
    expect(body).toContain("<p>H9</p>");
  });

  it("registry image: etcd starts, answers as JSON, and its version is labelled", async () => {
    const ref = imageRef("registry");
    const label = (await docker().getImage(ref).inspect()).Config.Labels?.["org.vxlan-lab.etcd-version"];
    expect(label).toMatch(/^3\.5\./);
    await createContainer({
      name: smoke[2]!,
      hostname: "registry",
      image: ref,
      labels: { "vxlan-lab.test": "smoke" },
      capAdd: [...CAPABILITIES.registry],
      sysctls: ipv6,
    });
    const start = await exec(smoke[2]!, ["registry-start"]);
    expect(start.code, start.stderr).toBe(0);
    const put = await exec(smoke[2]!, ["etcdctl", "put", "/smoke", "ok"]);
    expect(put.code, put.stderr).toBe(0);
    const got = parseJson(
      EtcdRangeSchema,
      (await exec(smoke[2]!, ["etcdctl", "get", "/smoke", "-w", "json"])).stdout,
      "etcdctl get -w json",
    );
    expect(Buffer.from(got.kvs?.[0]?.value ?? "", "base64").toString()).toBe("ok");
  });

  it("agent image: the bundled agent runs on Debian's Node and refuses a bad config, naming it", async () => {
    const ref = imageRef("agent");
    const label = (await docker().getImage(ref).inspect()).Config.Labels?.["org.vxlan-lab.nodejs-version"];
    expect(label).toMatch(/^\d+\./);
    await createContainer({
      name: smoke[3]!,
      hostname: "agent",
      image: ref,
      labels: { "vxlan-lab.test": "smoke" },
      capAdd: [...CAPABILITIES.agent],
      sysctls: {},
    });
    await exec(smoke[3]!, ["sh", "-c", "echo '{\"vni\": 100}' > /tmp/bad.json"]);
    const r = await exec(smoke[3]!, ["node", "/opt/vxlan-agent/agent.js", "/tmp/bad.json"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/vtep/);
    for (const tool of ["ip", "bridge", "nft"]) {
      expect((await exec(smoke[3]!, ["sh", "-c", `command -v ${tool}`])).code, tool).toBe(0);
    }
  });
});
