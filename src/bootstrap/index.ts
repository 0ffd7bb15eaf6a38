import { ensureImages } from "../images/build";
import { ensureEngine } from "./engine";
import { aptInstall, isDebian, isRoot } from "./host";
import { ensurePulumi } from "./pulumi";
import { runSteps, type StepResult } from "./steps";
import { which } from "../util/process";

/** npm ran in scripts/lab before any TypeScript could load; it reports here. */
async function npmStep(): Promise<string> {
  const s = process.env.VXLAN_LAB_NPM;
  return s === "installed" ? "installed from package-lock.json" : "up to date";
}

async function ensureMmdebstrap(): Promise<string> {
  if (which("mmdebstrap")) return "present";
  if (!(isRoot() && isDebian())) {
    throw new Error(
      "mmdebstrap is missing; images are built from Debian packages with it (Debian: apt-get install mmdebstrap)",
    );
  }
  await aptInstall(["mmdebstrap"]);
  return "installed mmdebstrap";
}

export function bootstrap(): Promise<StepResult[]> {
  return runSteps([
    { name: "docker engine", run: ensureEngine },
    { name: "pulumi cli", run: ensurePulumi },
    { name: "npm dependencies", run: npmStep },
    { name: "image builder", run: ensureMmdebstrap },
    { name: "images", run: () => ensureImages() },
  ]);
}
