/** Thrown before anything is built; `problems` lists every issue found, each naming what is valid. */
export class TopologyError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(
      problems.length === 1
        ? `invalid lab topology: ${problems[0]}`
        : `invalid lab topology (${problems.length} problems):\n${problems.map((p) => `  - ${p}`).join("\n")}`,
    );
    this.name = "TopologyError";
    this.problems = [...problems];
  }
}
