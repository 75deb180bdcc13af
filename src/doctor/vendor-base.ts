// doctor's lines for vendor base images (canvos vendor-base): shown only for the flavours the
// user is after, named with --vendor-base or given away by their variables being set. Each says
// whether a build could start, naming (never showing) the variables, and for slem the host.
import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { FLAVOUR_SPECS, FLAVOURS, type Flavour } from "../vendor/flavours.js";
import { missingSecrets } from "../vendor/plan.js";
import type { DoctorCheck } from "./checks.js";

/** The flavours that are relevant: those named, and those any of whose variables is set. */
export function relevantFlavours(named: readonly Flavour[], env: NodeJS.ProcessEnv): Flavour[] {
  return FLAVOURS.filter((f) => named.includes(f) || FLAVOUR_SPECS[f].secretSets.flat().some((s) => (env[s.env] ?? "") !== ""));
}

/** Whether `root` is a SLE Micro host registered with SUSE (SUSEConnect keeps its credentials there). */
export async function sleMicroHost(root: string): Promise<{ sleMicro: boolean; registered: boolean }> {
  const release = await readFile(join(root, "etc/os-release"), "utf8").catch(() => "");
  const sleMicro = /^ID="?sle-micro(-rancher)?"?$/m.test(release);
  const registered = await stat(join(root, "etc/zypp/credentials.d/SCCcredentials")).then(() => true, () => false);
  return { sleMicro, registered };
}

export async function vendorBaseChecks(named: readonly Flavour[], env: NodeJS.ProcessEnv, hostRoot: string): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const flavour of relevantFlavours(named, env)) {
    const spec = FLAVOUR_SPECS[flavour];
    const title = `vendor base ${flavour}`;
    const missing = missingSecrets(spec, env);
    if (missing.length > 0) {
      // Asked for by name it cannot be built; guessed from a stray variable it may not be wanted.
      checks.push({ id: `vendor-base-${flavour}`, title, status: named.includes(flavour) ? "failure" : "warning", detail: `${missing.map((s) => s.env).join(", ")} not set; it needs ${spec.needs}`, fix: `export ${missing.map((s) => `${s.env}=...`).join(" ")}` });
      continue;
    }
    const given = spec.secretSets.find((set) => set.every((s) => (env[s.env] ?? "") !== "")) ?? [];
    const detail = `${given.map((s) => s.env).join(" and ")} set (values not shown)`;
    if (flavour === "slem") {
      const host = await sleMicroHost(hostRoot);
      if (!host.sleMicro || !host.registered) {
        checks.push({ id: "vendor-base-slem", title, status: "warning", detail: `${detail}; but this machine is ${host.sleMicro ? "a SLE Micro host that is not registered" : "not a SLE Micro host"}`, fix: "build slem on a SLE Micro host registered with SUSEConnect (transactional-update register -r CODE)" });
        continue;
      }
    }
    checks.push({ id: `vendor-base-${flavour}`, title, status: "ok", detail: `${detail}: canvos vendor-base ${flavour} can start` });
  }
  return checks;
}
