/**
 * A bench's command line: `--name value` options, each bench naming the ones
 * it takes. Node's util.parseArgs does the parsing (strict), so an unknown
 * option or a stray argument stops the bench before any lab is made.
 */
import { parseArgs } from "node:util";

export type Arg<N extends string> = (name: N, fallback: string) => string;

/** The options `names` from argv; throws naming the valid ones on anything else. */
export function benchArgs<const N extends string>(
  script: string,
  names: readonly N[],
  argv = process.argv.slice(2),
): Arg<N> {
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({
      args: argv,
      options: Object.fromEntries(names.map((n) => [n, { type: "string" as const }])),
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new Error(`${script}: ${why}\nvalid options: ${names.map((n) => `--${n} <value>`).join(", ")}`);
  }
  return (name, fallback) => {
    const v = values[name];
    return typeof v === "string" ? v : fallback;
  };
}
