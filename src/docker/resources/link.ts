/**
 * A link as a Pulumi resource, so that a plan shows it and `up` after a
 * change touches only the links that changed. Both ends on one engine: a
 * veth pair. Ends on two engines: a tunnel between the engine hosts, one end
 * made by each engine's helper. The work itself is batched: every link
 * operation of a burst becomes one exec in a wiring helper.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Target } from "../client";
import type * as Containers from "../containers";
import type * as Tunnel from "../tunnel";
import type * as Wiring from "../wiring";
import { vethPeers } from "../../util/veth";
import { changedKeys, load } from "./load";

const WIRING = join(__dirname, "..", "wiring");
const TUNNEL = join(__dirname, "..", "tunnel");
const CONTAINERS = join(__dirname, "..", "containers");
const wiring = () => load<typeof Wiring>(WIRING);
const tunnel = () => load<typeof Tunnel>(TUNNEL);
const containers = () => load<typeof Containers>(CONTAINERS);

/** A link between engines: the tunnel's identifier, port, and where each end sends. */
export interface TunnelSpec {
  vni: number;
  port: number;
  aRemote: string;
  bRemote: string;
}

export interface LinkInputs {
  a: pulumi.Input<Wiring.LinkEnd>;
  b: pulumi.Input<Wiring.LinkEnd>;
  mtu: pulumi.Input<number>;
  /** The wiring helper on a's engine, which sees every namespace there. */
  helper: pulumi.Input<string | Target>;
  /** Ends on two engines: b's engine's helper, and the tunnel between them. */
  tunnel?: pulumi.Input<{ helper: pulumi.Input<string | Target>; spec: TunnelSpec }>;
}

interface LinkProps extends Wiring.VethSpec {
  helper: string | Target;
  tunnel?: { helper: string | Target; spec: TunnelSpec };
}

/**
 * Whether an end can be deleted through the PID it was made with. The helper
 * enters a namespace by PID; a container removed or restarted took the link
 * with its namespace, and its old PID (pid_max is 32768 here) may by now be a
 * process of another lab, whose interface of the same name must not be
 * deleted (a replaced link is deleted with its old end's PID).
 */
export function endStillThere(end: { pid: number }, now: { pid: number } | undefined): boolean {
  return now !== undefined && now.pid === end.pid;
}

/** The helper that works on an end: a's own, or b's when the link crosses engines. */
const helperOf = (props: LinkProps, side: "a" | "b") =>
  side === "b" && props.tunnel ? props.tunnel.helper : props.helper;

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: LinkProps) {
    const start = Date.now();
    const t = inputs.tunnel;
    if (t) {
      const end = (side: "a" | "b") =>
        tunnel().createTunnelEnd(helperOf(inputs, side), {
          end: inputs[side],
          vni: t.spec.vni,
          port: t.spec.port,
          remote: side === "a" ? t.spec.aRemote : t.spec.bRemote,
          mtu: inputs.mtu,
        });
      await Promise.all([end("a"), end("b")]);
    } else {
      await wiring().createLink(inputs.helper, inputs);
    }
    return {
      id: `${inputs.a.container}:${inputs.a.iface}--${inputs.b.container}:${inputs.b.iface}`,
      outs: { ...inputs, timing: { start, end: Date.now() } },
    };
  },
  /**
   * A link is there when both ends' containers still run the init it was made
   * in (a restart gives a new namespace without the link) and both interfaces
   * exist with the MTU, as each other's peer. Otherwise refresh drops it and `up` makes it again.
   * Both ends are read at once, so a refresh's reads join one burst.
   */
  async read(id: string, props: LinkProps) {
    const present = async (side: "a" | "b") => {
      const end = props[side];
      const c = await containers().inspectContainer({ container: end.container, engine: end.engine });
      if (!c || c.pid !== end.pid) return undefined;
      const found = (await wiring().readLinks(helperOf(props, side), end.pid))?.find(
        (i) => i.ifname === end.iface,
      );
      return found && found.mtu === props.mtu ? found : undefined;
    };
    const [a, b] = await Promise.all([present("a"), present("b")]);
    // A veth's ends must also be each other's peer; a tunnel's ends are two devices.
    const whole = !!a && !!b && (!!props.tunnel || vethPeers(a, b));
    return whole ? { id, props } : { id: "", props: {} };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const replaces = changedKeys(olds, news, ["a", "b", "mtu", "tunnel"]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(_id: string, props: LinkProps) {
    // A veth goes with either end; a tunnel has one device per engine.
    const sides: ("a" | "b")[] = props.tunnel ? ["a", "b"] : ["a"];
    await Promise.all(
      sides.map(async (side) => {
        const helper = helperOf(props, side);
        // The helper goes last on destroy; a link whose helper is already gone went with its namespaces.
        if (!(await containers().inspectContainer(helper))) return;
        const end = props[side];
        const now = await containers().inspectContainer({ container: end.container, engine: end.engine });
        if (!endStillThere(end, now)) return;
        await wiring().deleteLinkEnd(helper, end);
      }),
    );
  },
};

export class Link extends pulumi.dynamic.Resource {
  declare readonly timing: pulumi.Output<{ start: number; end: number }>;

  /** When this link was made: a new value means new interfaces at both ends. */
  get made(): pulumi.Output<number> {
    return this.timing.apply((x) => x.start);
  }

  constructor(name: string, args: LinkInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, timing: undefined },
      { ...opts, deleteBeforeReplace: true },
      "vxlan-lab",
      "Link",
    );
  }
}
