import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // e2e files share one engine and build lab stacks: run them one at a time.
    fileParallelism: false,
    // A lab test waits on real containers and OSPF: bounded, but generous on a
    // loaded machine. Speed is measured in bench/, not here.
    testTimeout: 300_000,
    hookTimeout: 600_000,
  },
});
