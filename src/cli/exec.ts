/** `scripts/lab exec`: a live command or shell in a node of a deployed lab, like `docker exec [-it]`. */
import { inspectContainer } from "../docker/containers";
import { openSession, type Session } from "../docker/session";
import type { Target } from "../docker/client";
import { getNode, nodeTarget } from "../model";
import { driftWarning, requireDeployed } from "./deployed";
import { UsageError } from "./errors";

/** A node's container in a deployed stack, running; names are case-insensitive (s1 = S1). */
export async function nodeContainer(
  stack: string,
  nodeName: string,
): Promise<{ node: string; container: Target }> {
  const d = requireDeployed(stack);
  const warning = driftWarning(d);
  if (warning) process.stderr.write(`${warning}\n`);
  let node;
  try {
    // Exact name first, then any case: s1 = S1, s1-agent = S1-agent, REGISTRY = registry.
    const match = d.topology.nodes.find((n) => n.name.toLowerCase() === nodeName.toLowerCase());
    node = getNode(d.topology, match?.name ?? nodeName);
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const target = nodeTarget(d.topology, node.name);
  if (!(await inspectContainer(target))) {
    throw new Error(
      `${node.name} (${node.container}) is not running; bring the lab up with \`scripts/lab up ${stack}\``,
    );
  }
  return { node: node.name, container: target };
}

/**
 * Ties a session to this process: SIGINT is Ctrl-C for the command in the node,
 * SIGTERM/SIGHUP (and a reader gone away) end all of it there; a second signal
 * gives up waiting. With a TTY, raw mode and window size follow ours.
 * Resolves with the command's exit code.
 */
export async function attach(session: Session, tty: boolean): Promise<number> {
  let stopping = false;
  const stop = (how: "interrupt" | "terminate") => {
    if (stopping) return;
    stopping = true;
    void session[how]().catch((err: unknown) => process.stderr.write(`lab: ${how} failed: ${String(err)}\n`));
  };
  // A second signal gives up waiting for the node.
  const onSignal = (sig: NodeJS.Signals) =>
    stopping ? process.exit(130) : stop(sig === "SIGINT" ? "interrupt" : "terminate");
  // Our reader went away (`| head`, Wireshark closed): the command in the node has no one to write for.
  const onOutError = (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    stop("terminate");
  };
  const onResize = () => void session.resize({ rows: process.stdout.rows, columns: process.stdout.columns });
  const signals = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
  for (const s of signals) process.on(s, onSignal);
  process.stdout.on("error", onOutError);
  if (tty) {
    process.stdin.setRawMode(true);
    process.stdout.on("resize", onResize);
  }
  try {
    return await session.done;
  } finally {
    for (const s of signals) process.off(s, onSignal);
    if (tty) {
      process.stdout.off("resize", onResize);
      process.stdin.setRawMode(false);
    }
    // Stop reading our stdin so that this process can exit.
    process.stdin.pause();
  }
}

/** With a terminal on both ends, a TTY in the node, as `docker exec -it` gives. */
export const terminalBothEnds = () => process.stdin.isTTY === true && process.stdout.isTTY === true;

export async function runExec(stack: string, nodeName: string, cmd: string[]): Promise<number> {
  const { container } = await nodeContainer(stack, nodeName);
  const tty = terminalBothEnds();
  // No command: a login-like shell. Without a TTY it still reads commands from our stdin.
  const argv = cmd.length > 0 ? cmd : ["bash"];
  const session = await openSession(container, argv, {
    tty,
    // Input from a pipe or file goes in; a terminal's only with a TTY (output redirected: like `docker exec` without -i).
    stdin: tty || process.stdin.isTTY !== true ? process.stdin : undefined,
    stdout: process.stdout,
    stderr: process.stderr,
    size: tty ? { rows: process.stdout.rows, columns: process.stdout.columns } : undefined,
  });
  return attach(session, tty);
}
