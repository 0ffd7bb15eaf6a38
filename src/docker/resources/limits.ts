/**
 * The engine host's IPv6 neighbour table limits, raised when the lab needs
 * more entries than they allow (never lowered). `raised` says whether this
 * lab changed them, so the program can tell the user.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { Target } from "../client";
import type * as Host from "../host";
import { load } from "./load";

const IMPL = join(__dirname, "..", "host");

interface Props {
  helper: string | Target;
  /** Neighbour entries the lab may hold at once, machine-wide. */
  entries: number;
}

async function apply(inputs: Props) {
  const host = load<typeof Host>(IMPL);
  const before = await host.readNeighLimits(inputs.helper);
  const after = host.neighLimitsFor(inputs.entries, before);
  const raised = host.NEIGH_KEYS.some((k) => after[k] !== before[k]);
  if (raised) await host.writeNeighLimits(inputs.helper, after);
  return { ...inputs, before, after, raised };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Props) {
    return { id: "neigh-limits", outs: await apply(inputs) };
  },
  async diff(_id: string, olds: Props, news: Props) {
    const helperChanged = JSON.stringify(olds.helper) !== JSON.stringify(news.helper);
    const changes = olds.entries !== news.entries || helperChanged;
    return { changes, replaces: helperChanged ? ["helper"] : [] };
  },
  async update(_id: string, _olds: Props, news: Props) {
    return { outs: await apply(news) };
  },
  // Other labs may rely on them: the limits stay as they are.
  async delete() {},
};

export class NeighbourLimits extends pulumi.dynamic.Resource {
  declare readonly raised: pulumi.Output<boolean>;
  declare readonly before: pulumi.Output<Host.NeighLimits>;
  declare readonly after: pulumi.Output<Host.NeighLimits>;

  constructor(
    name: string,
    args: { helper: pulumi.Input<string | Target>; entries: number },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      provider,
      name,
      { ...args, raised: undefined, before: undefined, after: undefined },
      opts,
      "vxlan-lab",
      "NeighbourLimits",
    );
  }
}
