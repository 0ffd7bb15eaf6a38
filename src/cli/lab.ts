import { bootstrap } from "../bootstrap";
import { StepError } from "../bootstrap/steps";

const USAGE = `usage: scripts/lab <command> [args]

commands:
  bootstrap            install what the lab needs (engine, Pulumi CLI, images); idempotent
  help                 this text`;

async function main(argv: string[]): Promise<number> {
  const [cmd] = argv;
  switch (cmd) {
    case "bootstrap":
      await bootstrap();
      return 0;
    case undefined:
    case "help":
    case "--help":
    case "-h":
      console.log(USAGE);
      return cmd === undefined ? 2 : 0;
    default:
      console.error(`lab: unknown command "${cmd}"\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const msg = err instanceof StepError || err instanceof Error ? err.message : String(err);
    console.error(`lab: ${msg}`);
    process.exit(1);
  },
);
