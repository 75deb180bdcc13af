// The vendor base definitions read as text: one per flavour, credentials only through BuildKit
// secret mounts (never an ARG or ENV, never the variable that holds them on the user's side), each
// secret read only by a step that mounts it, and the plan passing exactly what the definition
// mounts, by name. The real build is in test/docker/vendor-base-build.test.ts.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { logicalLines } from "../../src/earthfile/lexer.js";
import { allSecrets, FLAVOUR_SPECS, FLAVOURS } from "../../src/vendor/flavours.js";
import { createVendorPlan, missingSecrets } from "../../src/vendor/plan.js";
import { PROJECT_ROOT } from "../support/workspace-copy.js";

const DIR = join(PROJECT_ROOT, "vendor-base");
const ALLOWED_ARGS = ["VENDOR_BASE", "KAIROS_FRAMEWORK", "KAIROS_VERSION", "DEBIAN_FRONTEND", "FIPS"];
const CREDENTIAL_NAME = /USER|PASS|TOKEN|KEY|SECRET|REGCODE|CODE|ORG|CRED/i;

const definitionFile = (flavour: (typeof FLAVOURS)[number]): string => join(DIR, FLAVOUR_SPECS[flavour].definition, "Dockerfile");
const definition = (flavour: (typeof FLAVOURS)[number]) => logicalLines(readFileSync(definitionFile(flavour), "utf8"));
const script = (name: string): string => readFileSync(join(DIR, "steps", name), "utf8");
/** The secret ids a script reads: `/run/secrets/ID`, or through its `secret ID` helper. */
const readsSecrets = (text: string): string[] => [...new Set([...text.matchAll(/\/run\/secrets\/([a-z][a-z-]*)/g), ...text.matchAll(/\$\(secret ([a-z][a-z-]*)\)/g)].map((m) => m[1] ?? ""))];

describe("vendor-base definitions", () => {
  it("every flavour has its definition, and every definition is a flavour's", () => {
    const folders = readdirSync(DIR, { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== "steps").map((e) => e.name);
    expect(folders.sort()).toEqual([...new Set(FLAVOURS.map((f) => FLAVOUR_SPECS[f].definition))].sort());
    // A flavour that shares its definition sets it apart by the build arguments that definition declares.
    for (const flavour of FLAVOURS) {
      const declared = definition(flavour).flatMap((l) => /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(l.text)?.[1] ?? []);
      for (const name of Object.keys(FLAVOUR_SPECS[flavour].definitionArgs)) expect(declared, `${flavour}: ARG ${name}`).toContain(name);
    }
    for (const flavour of FLAVOURS) expect(definition(flavour).some((l) => l.text.startsWith("FROM "))).toBe(true);
  });

  for (const flavour of FLAVOURS) {
    describe(flavour, () => {
      const lines = definition(flavour);
      const spec = FLAVOUR_SPECS[flavour];

      it("takes no credential as ARG or ENV; its ARGs are the image refs and versions", () => {
        const args = lines.filter((l) => l.text.startsWith("ARG ")).map((l) => /^ARG\s+([A-Za-z_][A-Za-z0-9_]*)/.exec(l.text)?.[1] ?? "");
        for (const name of args) expect(ALLOWED_ARGS, `ARG ${name}`).toContain(name);
        expect(args.filter((name) => CREDENTIAL_NAME.test(name))).toEqual([]);
        expect(lines.filter((l) => /^(ENV|LABEL) /.test(l.text))).toEqual([]);
        const text = readFileSync(definitionFile(flavour), "utf8");
        for (const secret of allSecrets(spec)) expect(text).not.toContain(secret.env);
      });

      it("mounts exactly the flavour's secrets, and each script reads only secrets its step mounts", () => {
        const mounted = new Set<string>();
        for (const run of lines.filter((l) => l.text.startsWith("RUN "))) {
          const here = [...run.text.matchAll(/--mount=type=secret,id=([a-z-]+)/g)].map((m) => m[1] ?? "");
          for (const id of here) mounted.add(id);
          const scripts = [...run.text.matchAll(/\/canvos-steps\/([a-z-]+\.sh)/g)].map((m) => m[1] ?? "");
          expect(scripts.length, run.text).toBeGreaterThan(0);
          for (const name of scripts) for (const id of readsSecrets(script(name))) expect(here, `${name} reads ${id}`).toContain(id);
          // The steps come in by bind mount for that step alone: never copied into a layer.
          expect(run.text).toContain("--mount=type=bind,source=steps,target=/canvos-steps");
        }
        expect([...mounted].sort()).toEqual(allSecrets(spec).map((s) => s.id).sort());
        expect(lines.filter((l) => /^(COPY|ADD) /.test(l.text) && !l.text.startsWith("COPY --from=framework "))).toEqual([]);
      });

      it("the plan passes every set secret by name (id=...,env=NAME) and no value", () => {
        const env = Object.fromEntries(allSecrets(spec).map((s) => [s.env, `value-of-${s.env}`]));
        const plan = createVendorPlan({ flavour, tag: undefined, push: false, noCache: false, vendorImage: undefined, frameworkImage: undefined, kairosVersion: undefined, docker: "docker", env });
        const passed = plan.argv.flatMap((a, i) => (plan.argv[i - 1] === "--secret" ? [a] : []));
        expect(passed.sort()).toEqual(allSecrets(spec).map((s) => `id=${s.id},env=${s.env}`).sort());
        expect(plan.argv.join(" ")).not.toContain("value-of-");
        expect(Object.keys(plan.buildArgs).sort()).toEqual(["KAIROS_FRAMEWORK", "KAIROS_VERSION", "VENDOR_BASE", ...Object.keys(spec.definitionArgs)].sort());
        for (const [name, value] of Object.entries(spec.definitionArgs)) expect(plan.argv).toContain(`${name}=${value}`);
        expect(plan.arg["OS_DISTRIBUTION"]).toBe(spec.distribution);
        expect(missingSecrets(spec, env)).toEqual([]);
        expect(missingSecrets(spec, {}).length).toBeGreaterThan(0);
      });
    });
  }

  it("no step script traces its commands (set -x would print the secrets)", () => {
    for (const name of readdirSync(join(DIR, "steps"))) expect(script(name), name).not.toMatch(/set -[a-z]*x|set -o xtrace/);
  });
});
