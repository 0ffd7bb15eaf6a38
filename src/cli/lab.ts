import { bootstrap } from "../bootstrap";
import { pinnedPulumiVersion, pulumiBinDir } from "../bootstrap/pulumi";
import { listContainers, removeContainer } from "../docker/ops";
import { isVariant, VARIANTS } from "../model";
import { run } from "../util/proc";
import { REPO_ROOT } from "../util/paths";
import { checkStack, printResult } from "./check";
import { pulumi, pulumiEnv, selectStack, stackExists } from "./pulumi";

const USAGE = `usage: scripts/lab <command> [args]

commands:
  bootstrap            install what the lab needs (engine, Pulumi CLI, images); idempotent
  up <variant>         bootstrap, \`pulumi up\` on the stack named after the variant, then its checks
  check <variant> [--json]
                       run the variant's checks against its running lab (exit 0 only if all pass)
  destroy <variant>    \`pulumi destroy\`, then remove the stack's state and any container left with its label
  test                 typecheck, lint and every test (unit and end-to-end on the real engine)
  env                  print the shell exports for using \`pulumi\` directly: eval "$(scripts/lab env)"
  pulumi [args...]     run the pinned Pulumi CLI with this repo's local state
  help                 this text

variants: ${VARIANTS.join(", ")}`;

function variantArg(cmd: string, v: string | undefined): string {
  if (v === undefined) throw new UsageError(`${cmd} needs a variant; valid variants: ${VARIANTS.join(", ")}`);
  if (!isVariant(v)) throw new UsageError(`unknown variant "${v}"; valid variants: ${VARIANTS.join(", ")}`);
  return v;
}

class UsageError extends Error {}

async function up(variant: string): Promise<number> {
  await bootstrap();
  await selectStack(variant);
  const r = await pulumi(["up", "--stack", variant, "--yes", "--skip-preview"], { inherit: true });
  if (r.code !== 0) return r.code;
  return check(variant, false);
}

async function check(stack: string, asJson: boolean): Promise<number> {
  const report = await checkStack(stack, { onResult: asJson ? undefined : printResult });
  if (asJson) console.log(JSON.stringify(report, null, 2));
  else console.log(report.ok ? `all ${report.checks.length} checks passed` : "some checks FAILED");
  return report.ok ? 0 : 1;
}

async function destroy(stack: string): Promise<number> {
  let code = 0;
  if (await stackExists(stack)) {
    code = (await pulumi(["destroy", "--stack", stack, "--yes", "--skip-preview"], { inherit: true })).code;
    if (code === 0) {
      // Keep Pulumi.<stack>.yaml (committed config), drop the state.
      const rm = await pulumi(["stack", "rm", stack, "--yes", "--preserve-config"]);
      if (rm.code !== 0) process.stderr.write(rm.stderr);
    }
  }
  // Whatever a crashed run left behind carries the stack's label.
  const left = await listContainers({ "vxlan-lab.stack": stack });
  for (const c of left) await removeContainer(c.id);
  if (left.length) process.stderr.write(`removed ${left.length} container(s) left outside Pulumi's state\n`);
  return code;
}

async function test(args: string[]): Promise<number> {
  await bootstrap();
  const { runTests } = await import("./test");
  return runTests(args);
}

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case "bootstrap":
      await bootstrap();
      return 0;
    case "up":
      return up(variantArg("up", rest[0]));
    case "check":
      return check(
        variantArg(
          "check",
          rest.find((a) => !a.startsWith("-")),
        ),
        rest.includes("--json"),
      );
    case "destroy":
      return destroy(variantArg("destroy", rest[0]));
    case "test":
      return test(rest);
    case "env": {
      const env = pulumiEnv();
      console.log(`export PATH="${pulumiBinDir(pinnedPulumiVersion())}:$PATH"`);
      console.log(`export PULUMI_CONFIG_PASSPHRASE="${env.PULUMI_CONFIG_PASSPHRASE ?? ""}"`);
      console.log(`export PULUMI_SKIP_UPDATE_CHECK=true`);
      return 0;
    }
    case "pulumi":
      return (await run("pulumi", rest, { cwd: REPO_ROOT, env: pulumiEnv(), inherit: true })).code;
    case undefined:
      console.error(USAGE);
      return 2;
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return 0;
    default:
      throw new UsageError(`unknown command "${cmd}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const msg = err instanceof Error ? err.message : String(err);
    console.error(`lab: ${msg}${err instanceof UsageError ? `\n\n${USAGE}` : ""}`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
