import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Two files at a time: every e2e and fault file has its own stack names, so
    // labs coexist on the engine; more than two 3-VTEP labs coming up at once on
    // a 2-CPU machine starves OSPF and BFD, which the fault files time.
    fileParallelism: true,
    maxWorkers: 2,
    minWorkers: 1,
    // A lab test waits on real containers and OSPF: bounded, but generous on a
    // loaded machine. Speed is measured in bench/, not here.
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
