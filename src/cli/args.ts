/**
 * scripts/lab's command line, declared with commander: per-command help,
 * options anywhere on the line, unknown options and extra arguments refused.
 * (commander over util.parseArgs: parseArgs has no subcommands, help or
 * "did you mean", which we would write again by hand.)
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { isVariant, VARIANTS } from "../model";
import { REPO_ROOT } from "../util/paths";
import { stateFile } from "./pulumi";

/** What each command does once its line is parsed; the unit tests pass recorders. */
export interface Actions {
  bootstrap(): Promise<number>;
  up(stack: string, o: { stack?: string; refresh: boolean }): Promise<number>;
  check(stack: string, o: { json: boolean; stack?: string }): Promise<number>;
  destroy(stack: string, o: { stack?: string }): Promise<number>;
  status(stack: string | undefined, o: { json: boolean }): Promise<number>;
  exec(stack: string, node: string, cmd: string[]): Promise<number>;
  capture(
    stack: string,
    node: string,
    iface: string,
    o: { write?: string; count?: number; filter: string[] },
  ): Promise<number>;
  graph(stack: string, o: { output?: string }): Promise<number>;
  ui(stack: string, o: { port?: number }): Promise<number>;
  test(args: string[]): Promise<number>;
  env(): Promise<number>;
  pulumi(args: string[]): Promise<number>;
}

export const variantList = `valid variants: ${VARIANTS.join(", ")}`;

/** Stacks of this checkout not named after a variant (Pulumi.<name>.yaml or state), e.g. test stacks. */
export function otherStacks(): string[] {
  return readdirSync(REPO_ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined && !isVariant(s))
    .sort();
}

/**
 * The <variant> argument: a variant (its stack has its name) or another stack
 * of this checkout (one whose config sets vxlan-lab:variant).
 */
export function parseStack(name: string): string {
  if (isVariant(name)) return name;
  if (existsSync(join(REPO_ROOT, `Pulumi.${name}.yaml`))) return name;
  // A stack whose state exists but whose config file was removed: still one to destroy or look at.
  if (/^[\w.-]+$/.test(name) && existsSync(stateFile(name))) return name;
  const others = otherStacks();
  throw new InvalidArgumentError(
    `unknown variant "${name}"; ${variantList}${others.length ? ` (or a stack of this checkout: ${others.join(", ")})` : ""}`,
  );
}

function positiveInt(what: string, max = 65535) {
  return (v: string): number => {
    if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) {
      throw new InvalidArgumentError(`${what} must be an integer from 1 to ${max}, got "${v}"`);
    }
    return Number(v);
  };
}

/** Where errors go; the tests capture them. */
export interface Output {
  out(s: string): void;
  err(s: string): void;
}

const STD: Output = { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s) };

/** "--json, -o/--output <file>, -h/--help": what a command accepts, for error messages. */
function validOptions(cmd: Command): string {
  const opts = [...cmd.options, cmd.createOption("-h, --help", "")].map((o) => o.flags.replace(", ", "/"));
  return opts.join(", ");
}

/** The program; `exit.code` holds the exit code of the action that ran. */
export function buildCli(actions: Actions, io: Output = STD): { program: Command; exit: { code: number } } {
  const exit = { code: 0 };
  // Each action's exit code, kept for the caller: commander resolves with the program, not with it.
  const run = async (p: Promise<number>) => {
    exit.code = await p;
  };
  const program = new Command("scripts/lab")
    .description(
      "vxlan-lab's command line: bring VXLAN labs up, check them, look inside. Wraps Pulumi without hiding it.",
    )
    .usage("<command> [options] [args]")
    .enablePositionalOptions()
    .addHelpCommand("help [command]", "help on one command")
    .addHelpText(
      "after",
      `\n<variant> is a variant, whose stack has its name, or another stack of this checkout.\n${variantList}\n\n` +
        "scripts/lab <command> --help says more about each command.",
    );

  // Every error names what is valid: the command's usage and options; exit 2 like other CLIs.
  const configure = (cmd: Command): Command =>
    cmd
      .configureOutput({
        writeOut: io.out,
        writeErr: io.err,
        outputError: (s, write) => {
          // Our argument parsers' messages say it all: drop commander's preamble before them.
          const msg = s
            .replace(/^error: /, "lab: ")
            .replace(/command-argument value '.*' is invalid for argument '.*'\. /, "");
          const name = cmd === program ? "" : ` ${cmd.name()}`;
          const more =
            cmd === program
              ? `\n${program.helpInformation()}`
              : `usage: scripts/lab${name} ${cmd.usage()}\n` +
                (/unknown option|too many|missing required/.test(s)
                  ? `valid options: ${validOptions(cmd)}\n`
                  : "");
          write(`${msg.endsWith("\n") ? msg : `${msg}\n`}${more}`);
        },
      })
      .exitOverride((err: CommanderError) => {
        throw err;
      });
  configure(program);
  const command = (name: string) => {
    const c = configure(program.command(name));
    c.allowExcessArguments(false);
    return c;
  };
  const variantArg = (c: Command) => c.argument("<variant>", "the lab's variant or stack", parseStack);

  command("bootstrap")
    .summary("install what the lab needs (engine, Pulumi CLI, images); idempotent")
    .description(
      "Install what the lab needs: Docker engine, Pulumi CLI, npm packages, images. Idempotent; prints each step with its duration.",
    )
    .action(() => run(actions.bootstrap()));

  // --stack NAME: another lab of the variant beside the variant's own (labs side by side).
  const stackOption = (c: Command) =>
    c.option("--stack <name>", "a stack of this variant under another name (made on first up)");

  stackOption(variantArg(command("up")))
    .summary("bring a variant up (bootstrap, pulumi up), then run its checks; again to repair it")
    .description(
      "Bootstrap, check the engine (it answers, its kernel makes VXLAN devices) and the state directory " +
        "(writable, room left), `pulumi up` on the stack named after the variant (or --stack), then run the " +
        "variant's checks. Exit 0 only if all pass.\n" +
        "Run it again to repair a lab: when a container is gone, stopped or restarted since the last up " +
        "(or with --refresh), the state is refreshed first, so the node is rewired and reconfigured; the rest is left alone.",
    )
    .option("--refresh", "refresh Pulumi's state from the engine before the up", false)
    .action((stack: string, o: { stack?: string; refresh: boolean }) => run(actions.up(stack, o)));

  stackOption(variantArg(command("check")))
    .summary("run a variant's checks against its deployed lab")
    .description(
      "Run the variant's checks (reachability, tables, amplification, paths) against the DEPLOYED lab (the last `up`), " +
        "with a warning when Pulumi.<stack>.yaml changed since.\n" +
        "--json prints {variant, ok, checks: [{name, ok, detail}], amplification: {perBumFrame}}.",
    )
    .option("--json", "the report as JSON", false)
    .action((stack: string, o: { json: boolean; stack?: string }) => run(actions.check(stack, o)));

  stackOption(variantArg(command("destroy")))
    .summary("destroy a variant: containers, links and state")
    .description(
      "`pulumi destroy` the variant's stack, drop its state (the committed Pulumi.<variant>.yaml stays; " +
        "a --stack one's config goes too), and remove any container still carrying its label.",
    )
    .action((stack: string, o: { stack?: string }) => run(actions.destroy(stack, o)));

  command("status")
    .summary("running stacks, their nodes and health")
    .description(
      "Every running stack of this project (or the one named), its nodes and their health: FRR daemons up, " +
        "OSPFv3 neighbours full, VXLAN device present; a warning when a stack's config changed since its last `up`.",
    )
    .argument("[variant]", "only this stack", parseStack)
    .option("--json", "as JSON", false)
    .action((stack: string | undefined, o: { json: boolean }) => run(actions.status(stack, o)));

  variantArg(command("exec"))
    .summary("a shell or a live command in a lab node (like docker exec -it)")
    .description(
      "A shell (bash, no command) or one command in a node of the deployed lab. Output streams as it comes; " +
        "with a terminal, a real TTY that follows window resizes; Ctrl-C ends the command in the node; " +
        "the command's exit code is passed through. Everything after the node is the command (as with docker exec).\n" +
        "e.g. scripts/lab exec multicast S1 ip monitor neigh\n" +
        "     scripts/lab exec multicast S1 -- bridge -j fdb show dev vxlan100",
    )
    .argument("<node>", "S1, R1, H1, ... (any case)")
    .argument("[command...]", "the command and its arguments; none: bash")
    // Options after the node belong to the command, as with `docker exec`.
    .passThroughOptions()
    // With passThroughOptions commander keeps a "--" after the node: it is ours, not the command's.
    .action((stack: string, node: string, cmd: string[]) =>
      run(actions.exec(stack, node, cmd[0] === "--" ? cmd.slice(1) : cmd)),
    );

  variantArg(command("capture"))
    .summary("tcpdump in a node, as pcap to a file or stdout (| wireshark -k -i -)")
    .description(
      "tcpdump on one interface of a node, packets streamed out as they come: to a pcap file (-w), " +
        "or to stdout, e.g. `scripts/lab capture multicast S1 r1 | wireshark -k -i -`. On a terminal without -w, " +
        "tcpdump's decoded lines instead of pcap bytes. Ctrl-C stops tcpdump in the node.\n" +
        "e.g. scripts/lab capture multicast S1 r1 -w s1.pcap udp port 4789",
    )
    .argument("<node>", "S1, R1, H1, ... (any case)")
    .argument(
      "<iface>",
      "an interface of the node: on a VTEP r1, r2 (uplinks), vxlan100, br100; a host has eth0",
    )
    .argument("[filter...]", "a pcap filter expression, e.g. udp port 4789")
    .option("-w, --write <file>", "write pcap to this file instead of stdout")
    .option("-c, --count <n>", "stop after n packets", positiveInt("--count", 1_000_000_000))
    .action(
      (stack: string, node: string, iface: string, filter: string[], o: { write?: string; count?: number }) =>
        run(actions.capture(stack, node, iface, { ...o, filter })),
    );

  variantArg(command("graph"))
    .summary("an SVG picture of a variant's topology")
    .description(
      "An SVG of the lab's topology: routers, VTEPs, hosts, links with their addresses, loopbacks, the overlay prefix. " +
        "Drawn from the deployed stack when it is up, else from Pulumi.<stack>.yaml. Without -o it goes to stdout.",
    )
    .option("-o, --output <file>", "write the SVG to this file")
    .action((stack: string, o: { output?: string }) => run(actions.graph(stack, o)));

  variantArg(command("ui"))
    .summary("a live web page of a lab: topology, FDB and neighbour tables (127.0.0.1)")
    .description(
      "A local web page, bound to 127.0.0.1 only, showing the topology and each VTEP's tables live.",
    )
    .addOption(new Option("--port <n>", "TCP port to listen on").argParser(positiveInt("--port")))
    .action((stack: string, o: { port?: number }) => run(actions.ui(stack, o)));

  command("test")
    .summary("typecheck, lint and every test (unit and end-to-end)")
    .description(
      "Bootstrap, then typecheck, lint, format check and every test (unit and end-to-end on the real engine). " +
        "Ends with `N passed, N failed`. Other arguments go to vitest.",
    )
    .argument("[vitest-args...]", "passed to vitest, e.g. test/unit")
    .allowUnknownOption()
    .passThroughOptions()
    .action((args: string[]) => run(actions.test(args)));

  command("env")
    .summary("shell exports for using `pulumi` directly")
    .description('Print the shell exports for using `pulumi` directly: eval "$(scripts/lab env)".')
    .action(() => run(actions.env()));

  command("pulumi")
    .summary("the pinned Pulumi CLI with this repo's state")
    .description(
      "Run the pinned Pulumi CLI with this repo's local state, e.g. `scripts/lab pulumi stack ls`.",
    )
    .argument("[args...]", "passed to pulumi, --help included")
    .helpOption(false)
    .allowUnknownOption()
    .passThroughOptions()
    .action((args: string[]) => run(actions.pulumi(args)));

  return { program, exit };
}

/** Parses argv (without node and script) and runs the chosen action; usage errors give 2. */
export async function runCli(actions: Actions, argv: string[], io: Output = STD): Promise<number> {
  const { program, exit } = buildCli(actions, io);
  if (argv.length === 0) {
    io.err(program.helpInformation());
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (err) {
    if (!(err instanceof CommanderError)) throw err;
    // --help and --version end parsing by "error" too.
    return ["commander.helpDisplayed", "commander.help", "commander.version"].includes(err.code) ? 0 : 2;
  }
  return exit.code;
}
