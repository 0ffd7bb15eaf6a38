/** A container as a Pulumi resource: created with its files in place, replaced on any change. */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { EngineAccess } from "../client";
import type * as Containers from "../containers";
import { changedKeys, load } from "./load";

const IMPL = join(__dirname, "..", "containers");
const impl = () => load<typeof Containers>(IMPL);

export interface ContainerInputs {
  name: pulumi.Input<string>;
  image: pulumi.Input<string>;
  hostname: pulumi.Input<string>;
  labels: pulumi.Input<Record<string, pulumi.Input<string>>>;
  capAdd: pulumi.Input<pulumi.Input<string>[]>;
  sysctls: pulumi.Input<Record<string, pulumi.Input<string>>>;
  cmd?: pulumi.Input<pulumi.Input<string>[]>;
  files?: pulumi.Input<Containers.ContainerFile[]>;
  /** Container ID whose network namespace a sidecar joins: a new instance there means a new sidecar. */
  networkOf?: pulumi.Input<string>;
  /**
   * That container's init PID: a restart of it gives a new namespace, and the
   * sidecar, still in the old one, is made again in the new.
   */
  networkPid?: pulumi.Input<number>;
  pidMode?: pulumi.Input<"host">;
  /** The engine that holds it; absent: the default one (DOCKER_HOST or the local socket). */
  engine?: pulumi.Input<EngineAccess>;
}

const KEYS = [
  "name",
  "image",
  "hostname",
  "labels",
  "capAdd",
  "sysctls",
  "cmd",
  "files",
  "networkOf",
  "networkPid",
  "pidMode",
  "engine",
];

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Containers.ContainerSpec) {
    const start = Date.now();
    const s = await impl().createContainer(inputs);
    return {
      id: s.name,
      outs: { ...inputs, containerId: s.id, pid: s.pid, timing: { start, end: Date.now() } },
    };
  },
  async read(id: string, props: Record<string, unknown>) {
    const s = await impl().inspectContainer({
      container: id,
      engine: props.engine as EngineAccess | undefined,
    });
    // Gone, stopped or recreated behind our back: the engine forgets it and `up` makes it again.
    if (!s || s.id !== props.containerId) return { id: "", props: {} };
    return { id, props: { ...props, pid: s.pid } };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const replaces = changedKeys(olds, news, KEYS);
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(id: string, props: Record<string, unknown>) {
    await impl().removeContainer({ container: id, engine: props.engine as EngineAccess | undefined });
  },
};

export class Container extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly containerId: pulumi.Output<string>;
  declare readonly pid: pulumi.Output<number>;

  constructor(name: string, args: ContainerInputs, opts?: pulumi.CustomResourceOptions) {
    super(
      provider,
      name,
      { ...args, containerId: undefined, pid: undefined },
      { ...opts, deleteBeforeReplace: true },
      "vxlan-lab",
      "Container",
    );
  }
}
