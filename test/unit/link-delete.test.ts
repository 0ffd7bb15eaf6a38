/**
 * A link end is deleted by entering its container's namespace through the
 * PID it was made with. Once that container is gone or runs another init, the
 * PID can belong to any process, another lab's included (pid_max is 32768
 * here), and a `link del h4` there would cut that lab's host off.
 */
import { describe, expect, it } from "vitest";
import { endStillThere } from "../../src/docker/resources/link";

describe("link delete", () => {
  const end = { pid: 4242 };
  it("goes through the PID while the end's container still runs that init", () => {
    expect(endStillThere(end, { pid: 4242 })).toBe(true);
  });
  it("leaves the PID alone when the container was removed or stopped (the link went with its namespace)", () => {
    expect(endStillThere(end, undefined)).toBe(false);
  });
  it("leaves the PID alone when the container was restarted (its old PID may now be another lab's process)", () => {
    expect(endStillThere(end, { pid: 5151 })).toBe(false);
  });
});
