import { existsSync, readFileSync, readdirSync } from "node:fs";
import { runOk } from "../util/process";

export const isRoot = (): boolean => process.getuid?.() === 0;

export function isDebian(): boolean {
  try {
    return /^(ID|ID_LIKE)=.*debian/m.test(readFileSync("/etc/os-release", "utf8"));
  } catch {
    return false;
  }
}

let aptUpdated = false;

/** apt-get install as root, with one `apt-get update` per process first. */
export async function aptInstall(packages: readonly string[]): Promise<void> {
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  if (!aptUpdated) {
    await runOk("apt-get", ["update", "-q"], { env });
    aptUpdated = true;
  }
  await runOk("apt-get", ["install", "-y", "-q", ...packages], { env });
}

/**
 * The Debian mirror this machine's apt already uses, so that image builds
 * take packages from the same place (no host name written in the repo).
 */
export function debianMirror(
  files: { path: string; content: string }[] = readAptSources(),
): string | undefined {
  for (const { content } of files) {
    // deb822: "URIs: http://host/debian" in a stanza whose suites are Debian's.
    for (const stanza of content.split(/\n\s*\n/)) {
      const uri = /^URIs:\s*(\S+)/m.exec(stanza)?.[1];
      const suites = /^Suites:\s*(.+)$/m.exec(stanza)?.[1] ?? "";
      if (uri && /\/debian\/?$/.test(uri) && !/security/.test(suites)) return uri.replace(/\/$/, "");
    }
    // one-line format: "deb [opts] http://host/debian bookworm main"
    for (const line of content.split("\n")) {
      const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\/?\s+(\S+)/.exec(line.trim());
      if (m?.[1] && !/security/.test(m[2] ?? "")) return m[1];
    }
  }
  return undefined;
}

function readAptSources(): { path: string; content: string }[] {
  const paths = ["/etc/apt/sources.list"];
  const dir = "/etc/apt/sources.list.d";
  if (existsSync(dir)) for (const f of readdirSync(dir).sort()) paths.push(`${dir}/${f}`);
  return paths.filter(existsSync).map((path) => ({ path, content: readFileSync(path, "utf8") }));
}
