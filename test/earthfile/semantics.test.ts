// The project's Earthfile judged by what Earthly does with it (src/earthfile/evaluate.ts and
// artifacts.ts model earthly.md's "Earthfile" section), not by its shape: the build context the
// user's Dockerfile really gets, the platform every image is built for, which RUNs ever execute,
// and where the shell of each step lives.
import { accessSync, constants, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { artifactFile, artifactLayout } from "../../src/earthfile/artifacts.js";
import { evaluateTarget, NATIVE, type Platform, type Step } from "../../src/earthfile/evaluate.js";
import { localTargetName, readEarthfile } from "../../src/earthfile/reader.js";
import { TARGET_OF } from "../../src/plan/targets.js";
import { shellOutLocally, treePaths } from "../support/earthfile-run.js";
import { PROJECT_ROOT, buildDefinitionCopy } from "../support/workspace-copy.js";

const model = readEarthfile(readFileSync(join(PROJECT_ROOT, "Earthfile"), "utf8"));
const shellOut = shellOutLocally(PROJECT_ROOT);
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Configurations that take every branch of the Earthfile at least once. */
const CONFIGS: Record<string, string>[] = [
  {},
  { ARCH: "arm64", BASE_IMAGE: "reg.example.com/kairos-ubuntu:22.04-arm64-nvidia-jetson-agx-orin" },
  { OS_DISTRIBUTION: "opensuse-leap", OS_VERSION: "15.5", K8S_DISTRIBUTION: "kubeadm", UPDATE_KERNEL: "true" },
  { OS_DISTRIBUTION: "rhel", BASE_IMAGE: "reg.example.com/rhel:8", K8S_DISTRIBUTION: "rke2", FIPS_ENABLED: "true", DISABLE_SELINUX: "false" },
  { OS_DISTRIBUTION: "sles", OS_VERSION: "5.4", BASE_IMAGE: "reg.example.com/slem:5.4", K8S_DISTRIBUTION: "kubeadm-fips", FIPS_ENABLED: "true", PROXY_CERT_PATH: "certs/proxy.pem", CLUSTERCONFIG: "spc.tgz", CUSTOM_TAG: "" },
];
const OUTER_TARGETS = [...new Set(Object.values(TARGET_OF))];

interface Reach {
  target: string;
  invokedFor: Platform;
  finalPlatform: Platform;
  steps: Step[];
}

/** Every target Earthly builds for `invoked` with `values`, following BUILD, FROM and COPY as it does. */
function reachAll(invoked: string, values: Record<string, string>): Reach[] {
  const reached: Reach[] = [];
  const seen = new Set<string>();
  const visit = (target: string, platform: Platform, args: Record<string, string>): void => {
    const name = target.replace(/^\+/, "");
    const key = `${name}@${platform}@${JSON.stringify(args)}`;
    if (seen.has(key)) return;
    seen.add(key);
    const evaluation = evaluateTarget(model, name, { ...values, ...args }, { platform, shellOut });
    const errors = evaluation.problems.filter((p) => p.severity === "error");
    if (errors.length > 0) throw new Error(errors.map((p) => `${p.where}: ${p.message}`).join("\n"));
    reached.push({ target: name, invokedFor: platform, finalPlatform: evaluation.platform, steps: evaluation.steps });
    for (const step of evaluation.steps) {
      if (step.kind === "build") visit(step.target, step.platform, step.args);
      else if (step.kind === "from" && step.source === "target") visit(step.ref, step.platform === NATIVE ? platform : step.platform, step.buildArgs);
      else if (step.kind === "from" && step.source === "dockerfile") {
        for (const ref of [step.ref, step.dockerfile ?? ""]) {
          const local = localTargetName(ref);
          if (local !== undefined) visit(`+${local}`, step.platform, {});
        }
      } else if (step.kind === "copy") {
        for (const source of step.sources) {
          const local = localTargetName(source);
          if (local !== undefined) visit(`+${local}`, step.platform, {});
        }
      }
    }
  };
  visit(invoked, NATIVE, {});
  return reached;
}

describe("the build context of the user's Dockerfile", () => {
  const contextOf = (files: Record<string, string>, values: Record<string, string>): { paths: string[]; dockerfile: string | undefined } => {
    const workspace = buildDefinitionCopy(files);
    dirs.push(workspace);
    const evaluation = evaluateTarget(model, "base-image", values, { shellOut: shellOutLocally(workspace) });
    const from = evaluation.steps.find((s) => s.kind === "from" && s.source === "dockerfile");
    if (from?.kind !== "from") throw new Error("no FROM DOCKERFILE in +base-image");
    const layout = artifactLayout(model, from.ref, evaluation.vars, { workspace });
    expect(layout.problems).toEqual([]);
    const file = from.dockerfile === undefined ? undefined : artifactFile(model, from.dockerfile, evaluation.vars, { workspace }).source;
    return { paths: treePaths(layout.tree), dockerfile: file?.slice(workspace.length) };
  };

  it("holds the Dockerfile and certs/ at its root, as the Dockerfile's COPY expects", () => {
    const { paths, dockerfile } = contextOf({ "certs/corp.pem": "pem", "certs/README": "text", "ca/proxy.pem": "pem" }, { PROXY_CERT_PATH: "ca/proxy.pem" });
    expect(paths).toEqual(["/Dockerfile", "/certs/", "/certs/README", "/certs/corp.pem", "/certs/proxy-ca.crt"]);
    expect(dockerfile).toBe("/Dockerfile");
  });

  it("still has a certs/ folder (empty) when no certificate is given, and nothing else of the workspace", () => {
    const { paths } = contextOf({ "user-data": "#cloud-config\n", "ui.tar": "x" }, {});
    expect(paths).toEqual(["/Dockerfile", "/certs/"]);
  });
});

describe("platforms: what runs on the device is built for linux/$ARCH", () => {
  // Targets whose files end up in an image or ISO a device boots.
  const DEVICE_TARGETS = new Set(["base-image", "provider-image", "kairos-provider-image", "stylus-image", "iso-image", "iso-image-rootfs", "iso"]);

  it.each(["amd64", "arm64"])("for ARCH=%s, from every target canvos invokes", (arch) => {
    const base: Record<string, string> = arch === "arm64" ? { BASE_IMAGE: "reg.example.com/kairos-ubuntu:22.04-core-arm64" } : {};
    for (const outer of OUTER_TARGETS) {
      const reached = reachAll(outer, { ARCH: arch, ...base });
      const device = reached.filter((r) => DEVICE_TARGETS.has(r.target));
      expect(device.length, outer).toBeGreaterThan(0);
      for (const r of device) expect(`${r.target}: ${r.finalPlatform}`, `${outer} (invoked for ${r.invokedFor})`).toBe(`${r.target}: linux/${arch}`);
    }
  });

  it("runs osbuilder for linux/$ARCH and copies it the root filesystem of linux/$ARCH", () => {
    const iso = evaluateTarget(model, "iso", { ARCH: "arm64", BASE_IMAGE: "reg/x:1" }, { shellOut });
    const from = iso.steps.find((s) => s.kind === "from");
    expect(from?.kind === "from" && `${from.ref} ${from.platform}`).toBe("gcr.io/spectro-images-public/osbuilder-tools:v0.7.11 linux/arm64");
    const rootfs = iso.steps.find((s) => s.kind === "copy" && s.sources.includes("+iso-image-rootfs/rootfs"));
    expect(rootfs?.kind === "copy" && rootfs.platform).toBe("linux/arm64");
  });
});

describe("every RUN runs", () => {
  it.each(CONFIGS.map((c) => [JSON.stringify(c), c] as const))("on every path taken for %s", (_label, config) => {
    for (const outer of OUTER_TARGETS) {
      for (const reach of reachAll(outer, config)) {
        for (const step of reach.steps) {
          if (step.kind === "run") expect(step.executes, `${reach.target}:${step.line} RUN ${step.command}`).toBe(true);
        }
      }
    }
  });

  it("fails at once, with its reason, when a configuration cannot be built", () => {
    const problems = evaluateTarget(model, "base-image", { OS_DISTRIBUTION: "sles", BASE_IMAGE: "" }, { shellOut }).problems;
    expect(problems.filter((p) => p.severity === "error").map((p) => p.message).join("\n")).toContain("BASE_IMAGE is required for OS_DISTRIBUTION=sles");
  });
});

describe("the shell of every step lives in steps/", () => {
  const scripts = readdirSync(join(PROJECT_ROOT, "steps")).filter((f) => f.endsWith(".sh")).sort();
  const STEP = /^\/(?:tmp\/)?canvos-steps\/([a-z0-9-]+\.sh)(?:\s|$)/;
  const SHELL_OUT = /\$\(\/canvos-steps\/([a-z0-9-]+\.sh)[ )]/;

  /** A one-line command: no shell control flow, pipes, substitutions or chains beyond one `&&`. */
  const trivial = (command: string): boolean => !/[;|`]|\$\(|\b(if|for|while|case)\b/.test(command) && command.split("&&").length <= 2;

  it("each RUN runs one script of steps/ that its target copied in before, or is a one-line command", () => {
    for (const target of model.targets.values()) {
      const evaluation = evaluateTarget(model, target.name, CONFIGS[0] ?? {}, { shellOut });
      const copied: string[] = [];
      for (const step of evaluation.steps) {
        if (step.kind === "copy") {
          for (const source of step.sources) if (source.startsWith("steps/")) copied.push(`${step.dest.replace(/\/$/, "")}/${source.slice("steps/".length)}`);
        }
        if (step.kind !== "run") continue;
        const script = STEP.exec(step.command);
        if (script === null) {
          expect(trivial(step.command), `${target.name}:${step.line} RUN ${step.command}`).toBe(true);
          continue;
        }
        expect(copied, `${target.name}:${step.line}`).toContain(step.command.split(/\s/)[0]);
      }
    }
  });

  it("every script is used by the Earthfile, and executable", () => {
    const text = readFileSync(join(PROJECT_ROOT, "Earthfile"), "utf8");
    const used = new Set([...text.matchAll(/canvos-steps\/([a-z0-9-]+\.sh)/g)].map((m) => m[1]));
    expect(scripts.filter((s) => !used.has(s))).toEqual([]);
    for (const script of scripts) expect(() => accessSync(join(PROJECT_ROOT, "steps", script), constants.X_OK), script).not.toThrow();
    expect(SHELL_OUT.test(text)).toBe(true);
  });
});
