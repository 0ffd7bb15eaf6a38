/**
 * A veth link as a Pulumi resource, so that a plan shows it and `up` after a
 * change touches only the links that changed. The work itself is batched:
 * every link operation of a burst becomes one exec in the lab's wiring helper.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as Containers from "../containers";
import type * as Wiring from "../wiring";
import { changedKeys, load } from "./load";

const WIRING = join(__dirname, "..", "wiring");
const CONTAINERS = join(__dirname, "..", "containers");
const wiring = () => load<typeof Wiring>(WIRING);
const containers = () => load<typeof Containers>(CONTAINERS);

export interface LinkInputs {
  a: pulumi.Input<Wiring.LinkEnd>;
  b: pulumi.Input<Wiring.LinkEnd>;
  mtu: pulumi.Input<number>;
  /** The lab's wiring helper (container name), which sees every namespace. */
  helper: pulumi.Input<string>;
}

interface LinkProps extends Wiring.VethSpec {
  helper: string;
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: LinkProps) {
    const start = Date.now();
    await wiring().createLink(inputs.helper, inputs);
    return {
      id: `${inputs.a.container}:${inputs.a.iface}--${inputs.b.container}:${inputs.b.iface}`,
      outs: { ...inputs, timing: { start, end: Date.now() } },
    };
  },
  /**
   * A link is there when both ends' containers still run the init it was made
   * in (a restart gives a new namespace without the link) and both interfaces
   * exist with the MTU. Otherwise refresh drops it and `up` makes it again.
   * Both ends are read at once, so a refresh's reads join one burst.
   */
  async read(id: string, props: LinkProps) {
    const present = async (end: Wiring.LinkEnd) => {
      const c = await containers().inspectContainer(end.container);
      if (!c || c.pid !== end.pid) return false;
      const found = (await wiring().readLinks(props.helper, end.pid))?.find((i) => i.ifname === end.iface);
      return !!found && found.mtu === props.mtu;
    };
    const ends = await Promise.all([present(props.a), present(props.b)]);
    return ends.every(Boolean) ? { id, props } : { id: "", props: {} };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const replaces = changedKeys(olds, news, ["a", "b", "mtu"]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(_id: string, props: LinkProps) {
    // The helper goes last on destroy; a link whose helper is already gone went with its namespaces.
    if (!(await containers().inspectContainer(props.helper))) return;
    await wiring().deleteLinkEnd(props.helper, props.a);
  },
};

export class Link extends pulumi.dynamic.Resource {
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
