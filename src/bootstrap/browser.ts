/**
 * The headless browser the live view's end-to-end test drives: Debian's
 * chromium, through puppeteer-core (which downloads no browser of its own).
 * A test-only step: the lab itself never needs a browser.
 */
import { which } from "../util/process";
import { aptInstall, isDebian, isRoot } from "./host";

const NAMES = ["chromium", "chromium-browser"];

/** CHROMIUM_PATH if set, else chromium on the path; undefined when there is none. */
export function findChromium(
  env: NodeJS.ProcessEnv = process.env,
  dirs = `${env.PATH ?? ""}:/usr/bin:/usr/local/bin`,
): string | undefined {
  if (env.CHROMIUM_PATH) return env.CHROMIUM_PATH;
  for (const n of NAMES) {
    const p = which(n, dirs);
    if (p) return p;
  }
  return undefined;
}

/** The browser's path, or an error that says how to get one. */
export function chromiumPath(): string {
  const p = findChromium();
  if (!p) {
    throw new Error(
      "no chromium for the browser tests; `scripts/lab test` installs it (Debian, as root: apt-get install chromium), or set CHROMIUM_PATH",
    );
  }
  return p;
}

/** Idempotent: present is enough; installed from Debian when root on Debian. */
export async function ensureChromium(): Promise<string> {
  const p = findChromium();
  if (p) return `present (${p})`;
  if (!(isRoot() && isDebian())) {
    throw new Error(
      "chromium is missing; the browser tests need it (Debian: apt-get install chromium), or set CHROMIUM_PATH",
    );
  }
  await aptInstall(["chromium"]);
  return `installed chromium (${chromiumPath()})`;
}
