/**
 * The engines a command must look at. A lab that names no engines lives on
 * the default one (DOCKER_HOST or the local socket); one that does is found
 * on every engine its deployed topology, or else its Pulumi.<stack>.yaml, names.
 */
import { existsSync, readdirSync } from "node:fs";
import { engineAddress, type EngineAccess } from "../docker/client";
import { listContainers } from "../docker/containers";
import { DEFAULTS, engineAccess, type Engine } from "../model";
import { stackTopology } from "./check";
import { readDeployed } from "./deployed";
import { backendPath } from "./pulumi";

/** One entry per engine; undefined stands for the default one, always first. */
export type EngineList = (EngineAccess | undefined)[];

function accessList(engines: readonly Engine[] | undefined): EngineList {
  const out: EngineList = [undefined];
  // The default engine under its own endpoint is still the default one: listed once.
  const seen = new Set<string>(["", JSON.stringify({ endpoint: engineAddress() })]);
  for (const e of engines ?? []) {
    const a = engineAccess(e);
    const key = a ? JSON.stringify(a) : "";
    if (!seen.has(key)) {
      seen.add(key);
      out.push(a);
    }
  }
  return out;
}

/** Every engine that may hold a container of the stack: deployed and configured ones, and the default. */
export async function stackEngines(stack: string): Promise<EngineList> {
  const deployed = readDeployed(stack);
  const configured = await stackTopology(stack).catch(() => undefined);
  return accessList([
    ...((deployed.up ? deployed.deployed.topology.engines : undefined) ?? []),
    ...(configured?.engines ?? []),
  ]);
}

/** Every engine any stack of this checkout is deployed on, and the default. */
export function knownEngines(project = DEFAULTS.project): EngineList {
  const dir = backendPath("stacks", project);
  const stacks = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith(".json"))
        .map((f) => f.slice(0, -".json".length))
    : [];
  const engines: Engine[] = [];
  for (const s of stacks) {
    try {
      const d = readDeployed(s);
      if (d.up) engines.push(...(d.deployed.topology.engines ?? []));
    } catch {
      /* a state being written right now: its engines are looked at next time */
    }
  }
  return accessList(engines);
}

/**
 * The containers labelled with the stack (and `labels`) on every engine it is
 * deployed or configured on, each with its engine. An engine that does not
 * answer is named on stderr and contributes nothing: what it holds stays.
 */
export async function stackContainers(
  stack: string,
  labels: Record<string, string> = {},
): Promise<{ id: string; name: string; engine: EngineAccess | undefined }[]> {
  const engines = await stackEngines(stack);
  const found = await Promise.all(
    engines.map(async (engine) => {
      try {
        const cs = await listContainers({ "vxlan-lab.stack": stack, ...labels }, engine);
        return cs.map((c) => ({ id: c.id, name: c.name, engine }));
      } catch (err) {
        process.stderr.write(
          `engine ${engine?.endpoint ?? "default"} does not answer (${String(err)}): its containers of ${stack} stay\n`,
        );
        return [];
      }
    }),
  );
  return found.flat();
}
