/** scripts/lab: the lab's command line. Wraps Pulumi without hiding it. */
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { bootstrap } from "../bootstrap";
import { pinnedPulumiVersion, pulumiBinDir } from "../bootstrap/pulumi";
import { engineAddress, engineAnswers } from "../docker/client";
import { inspectContainer } from "../docker/containers";
import { exec as execIn } from "../docker/exec";
import { topologySvg } from "../graph/svg";
import { getNode, isVariant, VARIANTS, type VariantName } from "../model";
import { REPO_ROOT } from "../util/paths";
import { run, which } from "../util/proc";
import { variantFor } from "../../variants";
import { checkStack, printResult, stackTopology } from "./check";
import { destroyStack } from "./destroy";
import { pulumiEnv } from "./pulumi";
import { labStatus, statusTable } from "./status";
import { stackProblem, upStack } from "./up";

export class UsageError extends Error {}

interface Command {
  usage: string;
  summary: string;
  help: string;
  run(args: string[]): Promise<number>;
}

const variantList = `valid variants: ${VARIANTS.join(", ")}`;

function variantArg(cmd: string, args: string[]): VariantName {
  const v = args.find((a) => !a.startsWith("-"));
  if (v === undefined) throw new UsageError(`${cmd} needs a variant; ${variantList}`);
  if (!isVariant(v)) throw new UsageError(`unknown variant "${v}"; ${variantList}`);
  return v;
}

/** The variant, and the stack: --stack NAME, or the variant's own. */
function variantAndStack(cmd: string, args: string[]): [VariantName, string] {
  const i = args.indexOf("--stack");
  const stack = i >= 0 ? args[i + 1] : undefined;
  if (i >= 0 && (!stack || stack.startsWith("-"))) throw new UsageError("--stack needs a name");
  const rest = i >= 0 ? [...args.slice(0, i), ...args.slice(i + 2)] : args;
  const variant = variantArg(cmd, rest);
  if (stack === undefined) return [variant, variant];
  const problem = stackProblem(stack);
  if (problem) throw new UsageError(problem);
  return [variant, stack];
}

async function requireEngine(): Promise<void> {
  if (!(await engineAnswers())) {
    throw new Error(
      `no Docker engine answers at ${engineAddress()}; run \`scripts/lab bootstrap\` (it installs and starts one)`,
    );
  }
}

async function check(stack: string, asJson: boolean): Promise<number> {
  const report = await checkStack(stack, { onResult: asJson ? undefined : printResult });
  if (asJson) console.log(JSON.stringify(report, null, 2));
  else console.log(report.ok ? `all ${report.checks.length} checks passed` : "some checks FAILED");
  return report.ok ? 0 : 1;
}

const COMMANDS: Record<string, Command> = {
  bootstrap: {
    summary: "install what the lab needs (engine, Pulumi CLI, images); idempotent",
    usage: "bootstrap",
    help: "Install what the lab needs: Docker engine, Pulumi CLI, npm packages, images. Idempotent; prints each step with its duration.",
    run: async () => (await bootstrap(), 0),
  },
  up: {
    summary: "bring a variant up (bootstrap, pulumi up), then run its checks",
    usage: "up <variant> [--stack name] [--refresh]",
    help: "Bootstrap, check the engine (it answers, its kernel makes VXLAN devices) and the state directory (writable, room left), then `pulumi up` on the stack (named after the variant unless --stack names another, so that two labs of one variant can run side by side), then run the variant's checks. Exit 0 only if all pass.\nRun it again to repair a lab: when a container is gone, stopped or restarted since the last up (or with --refresh), the run refreshes the state first, so the node is rewired and reconfigured; the rest is left alone.",
    async run(args) {
      const [variant, stack] = variantAndStack(
        "up",
        args.filter((a) => a !== "--refresh"),
      );
      await bootstrap();
      const code = await upStack(variant, stack, { refresh: args.includes("--refresh") });
      if (code !== 0) return code;
      if (!variantFor(variant)) {
        console.log(`${variant}: lab core only (the overlay is not built yet), so no checks to run`);
        return 0;
      }
      return check(stack, false);
    },
  },
  check: {
    summary: "run a variant's checks against its running lab",
    usage: "check <variant> [--stack name] [--json]",
    help: "Run the variant's checks (reachability, tables, amplification, paths) against its running lab.\n--json prints {variant, ok, checks: [{name, ok, detail}], amplification: {perBumFrame}}.",
    async run(args) {
      const [, stack] = variantAndStack("check", args);
      await requireEngine();
      return check(stack, args.includes("--json"));
    },
  },
  destroy: {
    summary: "destroy a variant: containers, links and state",
    usage: "destroy <variant> [--stack name]",
    help: "`pulumi destroy` the variant's stack, drop its state (the committed Pulumi.<variant>.yaml stays; a --stack one's config goes too), and remove any container still carrying its label.",
    async run(args) {
      const [variant, stack] = variantAndStack("destroy", args);
      await requireEngine();
      const { destroy, leftovers } = await destroyStack(stack, {
        keepConfig: stack === variant,
        inherit: true,
      });
      if (leftovers) process.stderr.write(`removed ${leftovers} container(s) left outside Pulumi's state\n`);
      return destroy?.code ?? 0;
    },
  },
  status: {
    summary: "running stacks, their nodes and health",
    usage: "status [--json]",
    help: "Every running stack of this project, its nodes and their health: FRR daemons up, OSPFv3 neighbours full, VXLAN device present.",
    async run(args) {
      await requireEngine();
      const s = await labStatus();
      process.stdout.write(args.includes("--json") ? `${JSON.stringify(s, null, 2)}\n` : statusTable(s));
      return 0;
    },
  },
  exec: {
    summary: "a shell or one command in a lab node",
    usage: "exec <variant> <node> [-- command...]",
    help: "A shell (no command) or one command in a lab node, e.g. `scripts/lab exec multicast S1 -- bridge fdb show dev vxlan100`.",
    async run(args) {
      const dd = args.indexOf("--");
      const head = dd >= 0 ? args.slice(0, dd) : args;
      const cmd = dd >= 0 ? args.slice(dd + 1) : [];
      const variant = variantArg("exec", head);
      const nodeName = head.find((a, i) => i > 0 && !a.startsWith("-"));
      if (!nodeName) throw new UsageError("exec needs a node, e.g. S1, R1 or H1");
      await requireEngine();
      const t = await stackTopology(variant);
      let container: string;
      try {
        container = getNode(t, nodeName.toUpperCase()).container;
      } catch (err) {
        throw new UsageError(err instanceof Error ? err.message : String(err));
      }
      if (!(await inspectContainer(container))) {
        throw new Error(
          `${nodeName} (${container}) is not running; bring the lab up with \`scripts/lab up ${variant}\``,
        );
      }
      if (cmd.length > 0) {
        const r = await execIn(container, cmd);
        process.stdout.write(r.stdout);
        process.stderr.write(r.stderr);
        return r.code;
      }
      // An interactive shell needs a TTY: the engine's own client does that best.
      const client = which("docker", "/usr/bin:/usr/local/bin") ?? "docker";
      return spawnSync(client, ["exec", "-it", container, "bash"], { stdio: "inherit" }).status ?? 1;
    },
  },
  graph: {
    summary: "an SVG picture of a variant's topology",
    usage: "graph <variant> [-o file.svg]",
    help: "An SVG of the variant's topology drawn from the model (stack config included): routers, VTEPs, hosts, links with their addresses, loopbacks, the overlay prefix. Without -o it goes to stdout.",
    async run(args) {
      const variant = variantArg("graph", args);
      const o = args.indexOf("-o");
      const file = o >= 0 ? args[o + 1] : undefined;
      if (o >= 0 && !file) throw new UsageError("-o needs a file name");
      const svg = topologySvg(await stackTopology(variant));
      if (file) writeFileSync(file, svg);
      else process.stdout.write(svg);
      return 0;
    },
  },
  test: {
    summary: "typecheck, lint and every test (unit and end-to-end)",
    usage: "test [vitest args...]",
    help: "Bootstrap, then typecheck, lint, format check and every test (unit and end-to-end on the real engine). Ends with `N passed, N failed`.",
    async run(args) {
      await bootstrap();
      const { runTests } = await import("./test");
      return runTests(args);
    },
  },
  env: {
    summary: "shell exports for using `pulumi` directly",
    usage: "env",
    help: 'Print the shell exports for using `pulumi` directly: eval "$(scripts/lab env)".',
    async run() {
      const env = pulumiEnv();
      // Single quotes: a passphrase with $, " or ` stays a string.
      const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
      console.log(`export PATH=${q(pulumiBinDir(pinnedPulumiVersion()))}":$PATH"`);
      console.log(`export PULUMI_CONFIG_PASSPHRASE=${q(env.PULUMI_CONFIG_PASSPHRASE ?? "")}`);
      console.log("export PULUMI_SKIP_UPDATE_CHECK=true");
      console.log(`export PULUMI_PARALLEL=${q(env.PULUMI_PARALLEL ?? "")}`);
      console.log(`export PULUMI_SKIP_CHECKPOINTS=${q(env.PULUMI_SKIP_CHECKPOINTS ?? "")}`);
      return 0;
    },
  },
  pulumi: {
    summary: "the pinned Pulumi CLI with this repo's state",
    usage: "pulumi [args...]",
    help: "Run the pinned Pulumi CLI with this repo's local state, e.g. `scripts/lab pulumi stack ls`.",
    run: async (args) =>
      (await run("pulumi", args, { cwd: REPO_ROOT, env: pulumiEnv(), inherit: true })).code,
  },
};

export function usage(): string {
  const width = Math.max(...Object.values(COMMANDS).map((c) => c.usage.length));
  const lines = Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`);
  return `usage: scripts/lab <command> [args]   (scripts/lab <command> --help for more)\n\ncommands:\n${lines.join("\n")}\n\n${variantList}`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    console.error(usage());
    return 2;
  }
  if (name === "help" || name === "--help" || name === "-h") {
    console.log(usage());
    return 0;
  }
  const cmd = COMMANDS[name];
  if (!cmd) throw new UsageError(`unknown command "${name}"`);
  // `pulumi` passes its arguments through, --help included.
  if (name !== "pulumi" && (rest.includes("--help") || rest.includes("-h"))) {
    console.log(`usage: scripts/lab ${cmd.usage}\n\n${cmd.help}`);
    return 0;
  }
  return cmd.run(rest);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const msg = err instanceof Error ? err.message : String(err);
      console.error(`lab: ${msg}${err instanceof UsageError ? `\n\n${usage()}` : ""}`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
