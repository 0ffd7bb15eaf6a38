import { describe, expect, it } from "vitest";
import { frrConfig, resolveTopology } from "../../src/model";
import { frrCommands, hostCommands, writeFile } from "../../src/underlay/commands";

const t = resolveTopology({ stack: "unicast-static-default", variant: "unicast-static-default" });

const decode = (cmd: string) => Buffer.from(/printf %s '([^']*)'/.exec(cmd)![1]!, "base64").toString();

describe("underlay commands", () => {
  it("writes files byte for byte, whatever quotes they contain", () => {
    const cmd = writeFile("/etc/x", "a 'b' \"c\" $HOME\n");
    expect(cmd).toMatch(/\| base64 -d > \/etc\/x$/);
    expect(decode(cmd)).toBe("a 'b' \"c\" $HOME\n");
  });
  it("installs the generated frr.conf and daemons before starting FRR", () => {
    const cmds = frrCommands(t, "S1");
    expect(decode(cmds[1]!)).toBe(frrConfig(t, "S1"));
    expect(decode(cmds[0]!)).toMatch(/^ospf6d=yes$/m);
    expect(cmds.at(-1)).toContain("frrinit.sh restart");
  });
  it("gives a host its seed MAC and address with the overlay MTU", () => {
    const cmds = hostCommands(t, "H4").join("\n");
    expect(cmds).toContain("address 50:54:33:00:00:0b");
    expect(cmds).toContain(`mtu ${t.overlay.mtu}`);
    expect(cmds).toContain("2001:db8:ff::13/64 dev eth0 nodad");
    expect(() => hostCommands(t, "H9")).toThrow(/no host H9/);
  });
});
