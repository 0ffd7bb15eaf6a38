/**
 * Pulumi dynamic resources over dockerode: a container, a veth link between
 * two containers, and commands run in a container. The provider objects are
 * serialized into the stack's state, so they hold nothing but a file path and
 * load the implementation (ops.ts, through tsx) inside the provider process.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type * as Ops from "./ops";

// Extensionless: tsx resolves it to ops.ts in the provider process.
const OPS_MODULE = join(__dirname, "ops");

function ops(): typeof Ops {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require("tsx/cjs/api").register();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(OPS_MODULE) as typeof Ops;
}

/** When create ran (epoch ms), kept in the state for bench/ to split `up` into phases. */
export interface Timing {
  start: number;
  end: number;
}

/** Inputs that differ, by key: each dynamic resource here is replaced on any change. */
function changedKeys(olds: Record<string, unknown>, news: Record<string, unknown>, keys: readonly string[]) {
  return keys.filter((k) => JSON.stringify(olds[k]) !== JSON.stringify(news[k]));
}

// ---------------------------------------------------------------- container

export interface ContainerInputs {
  name: pulumi.Input<string>;
  image: pulumi.Input<string>;
  hostname: pulumi.Input<string>;
  labels: pulumi.Input<Record<string, pulumi.Input<string>>>;
  capAdd: pulumi.Input<pulumi.Input<string>[]>;
  sysctls: pulumi.Input<Record<string, pulumi.Input<string>>>;
  cmd?: pulumi.Input<pulumi.Input<string>[]>;
  /** Container ID whose network namespace a sidecar joins: a new instance there means a new sidecar. */
  networkOf?: pulumi.Input<string>;
}

const CONTAINER_KEYS = [
  "name",
  "image",
  "hostname",
  "labels",
  "capAdd",
  "sysctls",
  "cmd",
  "networkOf",
] as const;

const containerProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Ops.ContainerSpec) {
    const start = Date.now();
    const s = await ops().createContainer(inputs);
    return {
      id: s.name,
      outs: { ...inputs, containerId: s.id, pid: s.pid, timing: { start, end: Date.now() } },
    };
  },
  async read(id: string, props: Record<string, unknown>) {
    const s = await ops().inspectContainer(id);
    // Gone, stopped or recreated behind our back: the engine forgets it and `up` makes it again.
    if (!s || s.id !== props.containerId) return { id: "", props: {} };
    return { id, props: { ...props, pid: s.pid } };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const replaces = changedKeys(olds, news, CONTAINER_KEYS);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(id: string) {
    await ops().removeContainer(id);
  },
};

export class Container extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly containerId: pulumi.Output<string>;
  declare readonly pid: pulumi.Output<number>;

  constructor(name: string, args: ContainerInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      containerProvider,
      name,
      { ...args, containerId: undefined, pid: undefined },
      {
        ...opts,
        deleteBeforeReplace: true,
      },
      "vxlan-lab",
      "Container",
    );
  }
}

// ---------------------------------------------------------------- link

export interface LinkEndInputs {
  container: pulumi.Input<string>;
  /** Changes when the container restarts (new namespace): the link is then rewired. */
  pid: pulumi.Input<number>;
  iface: pulumi.Input<string>;
}

export interface LinkInputs {
  a: pulumi.Input<LinkEndInputs>;
  b: pulumi.Input<LinkEndInputs>;
  mtu: pulumi.Input<number>;
  /** Image for the short-lived helper that sees both namespaces (needs nsenter and ip). */
  helperImage: pulumi.Input<string>;
}

interface LinkProps {
  a: Ops.VethSpec["a"];
  b: Ops.VethSpec["b"];
  mtu: number;
  helperImage: string;
}

const linkProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: LinkProps) {
    const start = Date.now();
    await ops().createVeth(inputs, inputs.helperImage);
    return {
      id: `${inputs.a.container}:${inputs.a.iface}--${inputs.b.container}:${inputs.b.iface}`,
      outs: { ...inputs, timing: { start, end: Date.now() } },
    };
  },
  async read(id: string, props: LinkProps) {
    const o = ops();
    for (const end of [props.a, props.b]) {
      const c = await o.inspectContainer(end.container);
      if (!c || c.pid !== end.pid) return { id: "", props: {} };
      const ifaces = await o.interfaces(end.container);
      const found = ifaces.find((i) => i.ifname === end.iface);
      if (!found || found.mtu !== props.mtu) return { id: "", props: {} };
    }
    return { id, props };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const replaces = changedKeys(olds, news, ["a", "b", "mtu"]);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(_id: string, props: LinkProps) {
    await ops().deleteVeth(props.a.container, props.a.iface);
  },
};

export class Link extends pulumi.dynamic.Resource {
  constructor(name: string, args: LinkInputs, opts?: pulumi.CustomResourceOptions) {
    super(linkProvider, name, args, { ...opts, deleteBeforeReplace: true }, "vxlan-lab", "Link");
  }
}

// ---------------------------------------------------------------- exec

export interface ExecInputs {
  /** Container name. */
  container: pulumi.Input<string>;
  /** The container instance the commands ran in: a new one runs them again. */
  containerId: pulumi.Input<string>;
  /**
   * Namespace PIDs of the node and of every peer it is wired to. A rewired
   * link (a peer recreated or restarted) gives fresh interfaces that must be
   * configured again.
   */
  wiring?: pulumi.Input<pulumi.Input<number>[]>;
  /** Lab node name, for error messages. */
  node: pulumi.Input<string>;
  /** Shell scripts, run in order with `sh -ec`; the first failure fails the step. */
  commands: pulumi.Input<pulumi.Input<string>[]>;
}

interface ExecProps {
  container: string;
  containerId: string;
  wiring?: number[];
  node: string;
  commands: string[];
}

const execProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ExecProps) {
    const start = Date.now();
    const o = ops();
    const outputs: string[] = [];
    for (const cmd of inputs.commands) outputs.push(await o.sh(inputs.container, cmd, inputs.node));
    return {
      id: `${inputs.container}:${inputs.containerId.slice(0, 12)}`,
      outs: { ...inputs, outputs, timing: { start, end: Date.now() } },
    };
  },
  async read(id: string, props: ExecProps) {
    const c = await ops().inspectContainer(props.container);
    if (!c || c.id !== props.containerId) return { id: "", props: {} };
    return { id, props };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const replaces = changedKeys(olds, news, ["container", "containerId", "wiring", "commands"]);
    return { changes: replaces.length > 0, replaces };
  },
  // Commands leave their effects in the container; it goes away with it.
  async delete() {},
};

export class Exec extends pulumi.dynamic.Resource {
  declare readonly outputs: pulumi.Output<string[]>;

  constructor(name: string, args: ExecInputs, opts?: pulumi.CustomResourceOptions) {
    super(execProvider, name, { ...args, outputs: undefined }, opts, "vxlan-lab", "Exec");
  }
}
