/** scripts/lab: the lab's command line. Wraps Pulumi without hiding it. Parsing: ./args.ts. */
import { writeFileSync } from "node:fs";
import { bootstrap } from "../bootstrap";
import { pinnedPulumiVersion, pulumiBinDir } from "../bootstrap/pulumi";
import { engineAddress, engineAnswers } from "../docker/client";
import { topologySvg } from "../graph/svg";
import { REPO_ROOT } from "../util/paths";
import { run } from "../util/process";
import { variantFor } from "../../variants";
import { runCli, variantList, type Actions } from "./args";
import { isVariant, type VariantName } from "../model";
import { runCapture } from "./capture";
import { checkStack, printResult, stackTopology } from "./check";
import { readDeployed, requireDeployed, driftWarning } from "./deployed";
import { destroyStack } from "./destroy";
import { UsageError } from "./errors";
import { runExec } from "./exec";
import { pulumiEnv } from "./pulumi";
import { labStatus, statusTable } from "./status";
import { configuredVariant, stackProblem, upStack } from "./up";

export { UsageError };

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

const warn = (w: string | undefined) => w && process.stderr.write(`${w}\n`);

/** The variant and stack `up` works on: <variant> [--stack NAME], or a stack of this checkout. */
async function upTarget(name: string, stackOpt?: string): Promise<{ variant: VariantName; stack: string }> {
  if (stackOpt !== undefined) {
    if (!isVariant(name)) throw new UsageError(`with --stack, give a variant, not "${name}"; ${variantList}`);
    const problem = stackProblem(stackOpt);
    if (problem) throw new UsageError(problem);
    return { variant: name, stack: stackOpt };
  }
  if (isVariant(name)) return { variant: name, stack: name };
  const variant = await configuredVariant(name);
  if (variant === undefined || !isVariant(variant)) {
    throw new UsageError(
      `stack ${name} names no variant (vxlan-lab:variant in Pulumi.${name}.yaml); ${variantList}`,
    );
  }
  return { variant, stack: name };
}

export const ACTIONS: Actions = {
  bootstrap: async () => (await bootstrap(), 0),

  async up(name, o) {
    const { variant, stack } = await upTarget(name, o.stack);
    await bootstrap();
    const code = await upStack(variant, stack, { refresh: o.refresh });
    if (code !== 0) return code;
    const d = requireDeployed(stack);
    const t = d.topology;
    console.log(
      `${stack}: ${t.variant}, ${t.nodes.filter((n) => n.kind === "vtep").length} VTEPs, ` +
        `${t.hosts.length} hosts; nodes ${t.nodes.map((n) => n.name).join(" ")}` +
        ` (all outputs: scripts/lab pulumi stack output --stack ${stack})`,
    );
    if (!variantFor(t.variant)) {
      console.log(`${stack}: lab core only (the overlay is not built yet), so no checks to run`);
      return 0;
    }
    return check(stack, false);
  },

  async check(name, o) {
    await requireEngine();
    return check(o.stack ?? name, o.json);
  },

  async destroy(name, o) {
    await requireEngine();
    // A --stack lab's config was made by `up --stack`: it goes with the stack.
    const stack = o.stack ?? name;
    const { destroy, leftovers } = await destroyStack(stack, {
      keepConfig: o.stack === undefined,
      inherit: true,
    });
    if (leftovers) process.stderr.write(`removed ${leftovers} container(s) left outside Pulumi's state\n`);
    return destroy?.code ?? 0;
  },

  async status(stack, o) {
    await requireEngine();
    const s = await labStatus(undefined, stack);
    if (stack !== undefined && s.length === 0) {
      const r = readDeployed(stack);
      process.stderr.write(
        `${r.up ? `stack ${stack} is up in Pulumi's state but none of its containers exist` : r.why}\n`,
      );
    }
    // Stacks of this checkout: say when one's config changed since its last `up`.
    for (const x of s) {
      const r = readDeployed(x.stack);
      if (r.up) warn(driftWarning(r.deployed));
    }
    process.stdout.write(o.json ? `${JSON.stringify(s, null, 2)}\n` : statusTable(s));
    return 0;
  },

  async exec(stack, node, cmd) {
    await requireEngine();
    return runExec(stack, node, cmd);
  },

  async capture(stack, node, iface, o) {
    await requireEngine();
    return runCapture(stack, node, iface, o);
  },

  async graph(stack, o) {
    const r = readDeployed(stack);
    let t;
    if (r.up) {
      warn(driftWarning(r.deployed));
      t = r.deployed.topology;
    } else {
      process.stderr.write(`${stack} is not up: drawing it from Pulumi.${stack}.yaml\n`);
      t = await stackTopology(stack);
    }
    const svg = topologySvg(t);
    if (o.output) writeFileSync(o.output, svg);
    else process.stdout.write(svg);
    return 0;
  },

  async ui(stack, o) {
    const { runUi } = await import("./ui");
    return runUi(stack, { port: o.port });
  },

  async test(args) {
    await bootstrap();
    const { runTests } = await import("./test");
    return runTests(args);
  },

  async env() {
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

  pulumi: async (args) =>
    (await run("pulumi", args, { cwd: REPO_ROOT, env: pulumiEnv(), inherit: true })).code,
};

export const main = (argv: string[]) => runCli(ACTIONS, argv);

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      const msg = err instanceof Error ? err.message : String(err);
      console.error(`lab: ${msg}`);
      process.exit(err instanceof UsageError ? 2 : 1);
    },
  );
}
