import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { engineKey, engineOptions, targetOf } from "../../src/docker/client";

describe("engine endpoints as the engine client takes them", () => {
  it("unix:// is a socket path", () => {
    expect(engineOptions({ endpoint: "unix:///run/vxlan-lab-engine2.sock" }, 5000)).toEqual({
      socketPath: "/run/vxlan-lab-engine2.sock",
      timeout: 5000,
    });
  });

  it("tcp:// is plain HTTP without tls, HTTPS with the directory's ca, cert and key", () => {
    expect(engineOptions({ endpoint: "tcp://[2001:db8::2]:2375" }, 5000)).toEqual({
      protocol: "http",
      // In brackets: the client puts the host into a URL.
      host: "[2001:db8::2]",
      port: 2375,
      timeout: 5000,
    });
    const dir = mkdtempSync(join(tmpdir(), "certs-"));
    for (const f of ["ca.pem", "cert.pem", "key.pem"]) writeFileSync(join(dir, f), `${f} contents`);
    const o = engineOptions({ endpoint: "tcp://lab-c.example.net:2376", tls: dir }, 5000);
    expect(o).toMatchObject({ protocol: "https", host: "lab-c.example.net", port: 2376 });
    expect([o.ca, o.cert, o.key].map(String)).toEqual([
      "ca.pem contents",
      "cert.pem contents",
      "key.pem contents",
    ]);
  });

  it("ssh:// carries user, host and port, through the ssh agent", () => {
    const o = engineOptions({ endpoint: "ssh://lab@192.0.2.7:2222" }, 5000) as Record<string, unknown>;
    expect(o).toMatchObject({ protocol: "ssh", host: "192.0.2.7", port: 2222, username: "lab" });
    expect(engineOptions({ endpoint: "ssh://lab@[2001:db8::7]" }, 5000)).toMatchObject({
      host: "2001:db8::7",
    });
    expect(o.sshOptions).toEqual({ agent: process.env.SSH_AUTH_SOCK });
    expect(engineOptions({ endpoint: "ssh://host" }, 5000)).toMatchObject({ port: 22 });
  });

  it("any other scheme is refused, naming the ones that work", () => {
    expect(() => engineOptions({ endpoint: "http://host:2375" }, 5000)).toThrow(
      "engine endpoint http://host:2375: only unix://, tcp:// and ssh:// are supported",
    );
  });

  it("a bare container name is on the default engine; batches are kept per engine", () => {
    expect(targetOf("vxlab-x-s1")).toEqual({ container: "vxlab-x-s1" });
    expect(engineKey()).toBe("");
    expect(engineKey({ endpoint: "unix:///a" })).not.toBe(engineKey({ endpoint: "unix:///b" }));
  });
});
