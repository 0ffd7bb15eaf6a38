/** A node's configuration: one script, one exec, rerun when the node or its wiring is new. */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { EngineAccess, Target } from "../client";
import type * as Containers from "../containers";
import type * as Exec from "../exec";
import type * as Wiring from "../wiring";
import { changedKeys, load } from "./load";

const EXEC = join(__dirname, "..", "exec");
const WIRING = join(__dirname, "..", "wiring");
const CONTAINERS = join(__dirname, "..", "containers");

export interface ScriptInputs {
  /** Container name. */
  container: pulumi.Input<string>;
  /** The engine that holds it; absent: the default one. */
  engine?: pulumi.Input<EngineAccess>;
  /** The container instance the script ran in: a new one runs it again. */
  containerId: pulumi.Input<string>;
  /**
   * Namespace PIDs of the node and of every peer it is wired to. A rewired
   * link (a peer recreated or restarted) gives fresh interfaces that must be
   * configured again.
   */
  wiring?: pulumi.Input<pulumi.Input<number>[]>;
  /** Lab node name, for error messages. */
  node: pulumi.Input<string>;
  /** Run with `sh -ex`; the first failure fails the step with the whole trace. */
  script: pulumi.Input<string>;
  /**
   * The script touches nothing but the node's network namespace: the wiring
   * helper runs it there (pid), and the scripts of a burst share one exec.
   */
  netns?: pulumi.Input<{ helper: pulumi.Input<string | Target>; pid: pulumi.Input<number> }>;
}

interface ScriptProps {
  container: string;
  engine?: EngineAccess;
  containerId: string;
  wiring?: number[];
  node: string;
  script: string;
  netns?: { helper: string | Target; pid: number };
}

const provider: pulumi.dynamic.ResourceProvider = {
  async create(inputs: ScriptProps) {
    const start = Date.now();
    if (inputs.netns) {
      const { helper, pid } = inputs.netns;
      await load<typeof Wiring>(WIRING).runInNetns(helper, { pid, what: inputs.node, script: inputs.script });
    } else {
      const where = { container: inputs.container, engine: inputs.engine };
      await load<typeof Exec>(EXEC).runScript(where, inputs.script, inputs.node);
    }
    return {
      id: `${inputs.container}:${inputs.containerId.slice(0, 12)}`,
      outs: { ...inputs, timing: { start, end: Date.now() } },
    };
  },
  async read(id: string, props: ScriptProps) {
    const c = await load<typeof Containers>(CONTAINERS).inspectContainer({
      container: props.container,
      engine: props.engine,
    });
    if (!c || c.id !== props.containerId) return { id: "", props: {} };
    return { id, props };
  },
  async diff(_id: string, olds: Record<string, unknown>, news: Record<string, unknown>) {
    const replaces = changedKeys(olds, news, ["container", "containerId", "wiring", "script"]);
    return { changes: replaces.length > 0, replaces };
  },
  // A script leaves its effects in the container; they go away with it.
  async delete() {},
};

export class Script extends pulumi.dynamic.Resource {
  constructor(name: string, args: ScriptInputs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, timing: undefined }, opts, "vxlan-lab", "Script");
  }
}
