/**
 * What a run asks of the engine, counted from its live event stream (a history
 * query afterwards misses events): containers created and execs made, for the
 * containers carrying one label.
 */
import type { Readable } from "node:stream";
import { z } from "zod";
import { docker } from "../src/docker/client";
import { parseJson } from "../src/util/json";

export interface EngineCounts {
  creates: number;
  execs: number;
}

/** One line of the engine's event stream, the parts counted. */
const EngineEventSchema = z.looseObject({
  Type: z.string().optional(),
  Action: z.string().optional(),
  Actor: z.looseObject({ Attributes: z.record(z.string(), z.string()).optional() }).optional(),
});

export async function countEvents(label: string, value: string): Promise<{ stop(): Promise<EngineCounts> }> {
  const stream = (await docker().getEvents({ filters: { type: ["container"] } })) as Readable;
  const counts: EngineCounts = { creates: 0, execs: 0 };
  let buf = "";
  stream.on("data", (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (!line) continue;
      const e = parseJson(EngineEventSchema, line, "a Docker engine event");
      if (e.Actor?.Attributes?.[label] !== value) continue;
      if (e.Action === "create") counts.creates++;
      else if (e.Action?.startsWith("exec_create")) counts.execs++;
    }
  });
  return {
    async stop() {
      // Events trail the calls that caused them by a moment.
      await new Promise((r) => setTimeout(r, 500));
      stream.destroy();
      return { ...counts };
    },
  };
}
