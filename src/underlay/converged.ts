/** A resource that exists once the underlay has converged: `up` waits for it. */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { load } from "../docker/resources/load";
import type * as Convergence from "./convergence";

const IMPL = join(__dirname, "convergence");

interface Props {
  vteps: Convergence.VtepTarget[];
  /** Prefixes every VTEP must have a route to as well (the registry's link). */
  services?: string[];
  timeoutSeconds: number;
  /** Changes with any VTEP's container: a new one must converge again. */
  instances: string[];
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Props) {
    const start = Date.now();
    const seconds = await load<typeof Convergence>(IMPL).waitConverged(
      inputs.vteps,
      inputs.timeoutSeconds * 1000,
      inputs.services ?? [],
    );
    return {
      id: inputs.vteps.map((v) => v.container).join(","),
      outs: { ...inputs, seconds, timing: { start, end: Date.now() } },
    };
  },
  async diff(_id: string, olds: Props, news: Props) {
    const changed =
      JSON.stringify([olds.vteps, olds.services, olds.instances]) !==
      JSON.stringify([news.vteps, news.services, news.instances]);
    return { changes: changed, replaces: changed ? ["instances"] : [] };
  },
  async delete() {},
};

export class Converged extends pulumi.dynamic.Resource {
  /** How long the wait took once the links existed. */
  declare readonly seconds: pulumi.Output<number>;

  constructor(
    name: string,
    args: {
      vteps: Convergence.VtepTarget[];
      services?: string[];
      timeoutSeconds: number;
      instances: pulumi.Input<string>[];
    },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(provider, name, { ...args, seconds: undefined, timing: undefined }, opts, "vxlan-lab", "Converged");
  }
}
