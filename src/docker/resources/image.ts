/**
 * An image present on an engine other than the one that built it: a plan
 * shows each copy, and `up` repeats one only when the image went missing.
 * Images stay on destroy: they are content-addressed and other labs share them.
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { EngineAccess } from "../client";
import type * as Images from "../images";
import { changedKeys, load } from "./load";

const IMPL = join(__dirname, "..", "images");
const impl = () => load<typeof Images>(IMPL);

interface Props {
  image: string;
  to: EngineAccess;
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: Props) {
    const copied = await impl().copyImage(inputs.image, inputs.to);
    return { id: `${inputs.to.endpoint}#${inputs.image}`, outs: { ...inputs, copied } };
  },
  async read(id: string, props: Props) {
    return (await impl().hasImage(props.image, props.to)) ? { id, props } : { id: "", props: {} };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const replaces = changedKeys(olds, news, ["image", "to"]);
    return { changes: replaces.length > 0, replaces };
  },
  async delete() {},
};

export class ImageCopy extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: { image: pulumi.Input<string>; to: EngineAccess },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(provider, name, { ...args, copied: undefined }, opts, "vxlan-lab", "ImageCopy");
  }
}
