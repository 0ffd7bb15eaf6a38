/**
 * Programs only the tests use: the second engine (test/e2e/engine2.ts) is
 * also reached over TCP with TLS (openssl makes its test CA) and over SSH
 * (sshd, ssh-keygen, ssh-agent). Present is enough; installed from Debian
 * when root on Debian.
 */
import { which } from "../util/process";
import { aptInstall, isDebian, isRoot } from "./host";

const TOOLS = [
  { command: "openssl", pkg: "openssl" },
  { command: "sshd", pkg: "openssh-server" },
  { command: "ssh-agent", pkg: "openssh-client" },
] as const;

// sshd lives in /usr/sbin, which a user's PATH may lack.
const found = (command: string) => which(command, `${process.env.PATH ?? ""}:/usr/sbin:/sbin`);

export async function ensureTestTools(): Promise<string> {
  const missing = TOOLS.filter((t) => !found(t.command));
  if (missing.length === 0) return `present (${TOOLS.map((t) => t.command).join(", ")})`;
  const pkgs = missing.map((t) => t.pkg);
  if (!(isRoot() && isDebian())) {
    throw new Error(`the tests need ${pkgs.join(", ")} (Debian: apt-get install ${pkgs.join(" ")})`);
  }
  await aptInstall(pkgs);
  return `installed ${pkgs.join(", ")}`;
}
