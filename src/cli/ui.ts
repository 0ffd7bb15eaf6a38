/** `scripts/lab ui <variant>`: the live view of a running lab in the browser, until Ctrl-C. */
import { inspectContainer } from "../docker/containers";
import { DEFAULT_PORT, startUiServer } from "../ui/server";
import { nodeTarget } from "../model";
import { stackTopology } from "./check";

export async function runUi(stack: string, opts: { port?: number; intervalMs?: number }): Promise<number> {
  const port = opts.port ?? DEFAULT_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--port must be a TCP port number (0-65535; 0 picks a free one), not ${opts.port}`);
  }
  const t = await stackTopology(stack);
  const vteps = t.nodes.filter((n) => n.kind === "vtep");
  const down = [];
  for (const v of vteps) if (!(await inspectContainer(nodeTarget(t, v.name)))) down.push(v.name);
  if (down.length === vteps.length) {
    throw new Error(
      `${stack} is not running (no VTEP container); bring it up with \`scripts/lab up ${stack}\``,
    );
  }
  if (down.length) process.stderr.write(`not running: ${down.join(", ")}; shown as such until they are\n`);

  const ui = await startUiServer(t, { port, intervalMs: opts.intervalMs });
  console.log(`live view of ${stack} (${t.variant}): ${ui.url}`);
  console.log("listening on 127.0.0.1 only; Ctrl-C stops it and its readers in the nodes");

  await new Promise<void>((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
  process.stderr.write("stopping the readers...\n");
  await ui.close();
  return 0;
}
