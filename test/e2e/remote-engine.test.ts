/**
 * The lab on an engine that is not the default one: DOCKER_HOST points at a
 * second dockerd, and everything (containers, the wiring helper, links,
 * checks, destroy) goes there. Nothing assumes the program runs on the
 * engine's host: links are made by the helper inside that engine.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkStack } from "../../src/cli/check";
import { imageRef } from "../../src/images/definition";
import { copyImages, engine2, engine2Host, startEngine2 } from "./engine2";
import { containersOf, ok, teardown, up } from "./lab";

const stack = "e2e-remote-engine";
const variant = "unicast-static-default";
let stopEngine2: () => Promise<void> = async () => undefined;

const onEngine2 = async () =>
  (await engine2().listContainers({ all: true, filters: { label: [`vxlan-lab.stack=${stack}`] } })).map((c) =>
    (c.Names[0] ?? "").replace(/^\//, ""),
  );

beforeAll(async () => {
  stopEngine2 = await startEngine2();
  await copyImages([imageRef("frr"), imageRef("host")]);
  // Everything in this file (the Pulumi CLI and its providers, the checks) talks to the second engine.
  process.env.DOCKER_HOST = engine2Host;
});

afterAll(async () => {
  await teardown(stack);
  delete process.env.DOCKER_HOST;
  await stopEngine2();
});

describe("DOCKER_HOST pointing at another engine", () => {
  it("brings the lab up there, links made by its own wiring helper, and every check passes", async () => {
    ok(await up(stack, { variant, vteps: "2", routers: "1", hostsPerVtep: "1" }), "pulumi up");
    const names = await onEngine2();
    // 1 router, 2 VTEPs, 2 hosts and the helper, all on the second engine.
    expect(names.sort()).toEqual(
      ["r1", "s1", "s2", "h1", "h2", "wiring"].map((n) => `vxlab-${stack}-${n}`).sort(),
    );
    const report = await checkStack(stack);
    expect(report.checks.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail}`)).toEqual([]);
    expect(report.amplification.perBumFrame).toBe(1);
  });

  it("nothing of the lab lands on the default engine", async () => {
    delete process.env.DOCKER_HOST;
    try {
      expect(await containersOf(stack)).toEqual([]);
    } finally {
      process.env.DOCKER_HOST = engine2Host;
    }
  });

  it("destroy removes everything from the second engine", async () => {
    ok(await teardown(stack), "destroy");
    expect(await onEngine2()).toEqual([]);
  });
});
