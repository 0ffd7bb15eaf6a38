/** Telling a changed Pulumi.<stack>.yaml from the config the last `up` deployed. */
import { describe, expect, it } from "vitest";
import { configDrift } from "../../src/cli/deployed";

describe("configDrift", () => {
  it("sees no change when values mean the same (numbers as strings, JSON as text)", () => {
    expect(
      configDrift(
        { variant: "multicast", vteps: "4", placement: "[1,2,1,1]" },
        { variant: "multicast", vteps: 4, placement: [1, 2, 1, 1] },
      ),
    ).toEqual([]);
  });

  it("names each changed, added and removed key as deployed -> file", () => {
    expect(
      configDrift(
        { variant: "multicast", vteps: "4", mtu: "9000" },
        { variant: "evpn", vteps: 4, routers: 3 },
      ),
    ).toEqual(["mtu: 9000 -> unset", "routers: unset -> 3", "variant: multicast -> evpn"]);
  });

  it("skips secure values, which cannot be compared without decrypting them", () => {
    expect(configDrift({ token: "x" }, { token: { secure: "v1:abc" } })).toEqual([]);
  });
});
