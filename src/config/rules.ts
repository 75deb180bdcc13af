// Rules that involve more than one parameter (facts.md, "Parameter rules"). Each runs only when
// the fields it reads are valid on their own, so one typo does not set off a cascade; rules about
// provider images run only for commands that build them (iso and base build none).
import { quote } from "../text.js";
import type { Config, ParameterName } from "./types.js";
import { OS_VERSIONS } from "./parameters.js";
import { versionsFor, type K8sMatrix, loadMatrix, MATRIX_FILE_NAME } from "./k8s-matrix.js";
import { didYouMean } from "./suggest.js";
import { nameLengthProblem, tagProblem } from "./image-ref.js";
import { providerImageRef } from "../plan/images.js";

export interface RuleProblem {
  /** The parameter whose location the problem is reported at: the one its message says to change. */
  key: ParameterName;
  /** Where else it can be reported when `key` only has its default: the values that set it off. */
  related: ParameterName[];
  message: string;
  severity: "error" | "warning";
  /** About provider images alone: it holds only for commands that build them. */
  providers: boolean;
}

export interface RuleScope {
  /** Whether the command builds provider images (BUILDS_PROVIDERS); validate and doctor check for any command. */
  providers: boolean;
  matrix?: K8sMatrix;
}

type Partial_ = Partial<Config>;

function has<K extends ParameterName>(c: Partial_, ...keys: K[]): c is Partial_ & Pick<Config, K> {
  return keys.every((k) => c[k] !== undefined);
}

export function crossFieldProblems(c: Partial_, scope: RuleScope = { providers: true }): RuleProblem[] {
  const out: RuleProblem[] = [];
  const matrix = scope.matrix ?? loadMatrix();
  const error = (key: ParameterName, message: string, related: ParameterName[] = []) => out.push({ key, related, message, severity: "error", providers: false });
  const providerError = (key: ParameterName, message: string, related: ParameterName[] = []) => {
    if (scope.providers) out.push({ key, related, message, severity: "error", providers: true });
  };

  if (has(c, "OS_DISTRIBUTION", "BASE_IMAGE") && (c.OS_DISTRIBUTION === "rhel" || c.OS_DISTRIBUTION === "sles") && c.BASE_IMAGE === "") {
    error("OS_DISTRIBUTION", `${c.OS_DISTRIBUTION} has no public Kairos base image: build one (canvos vendor-base ${c.OS_DISTRIBUTION === "rhel" ? "rhel8" : "slem"}) or take Spectro Cloud's (canvos vendor-base --list), and set BASE_IMAGE to it`);
  }
  if (has(c, "ARCH", "BASE_IMAGE") && c.ARCH === "arm64" && c.BASE_IMAGE === "") {
    error("ARCH", "arm64 builds need BASE_IMAGE (an arm64 Kairos image, e.g. quay.io/kairos/ubuntu:20.04-core-arm64-nvidia-jetson-agx-orin-v2.4.3)");
  }
  if (has(c, "FIPS_ENABLED", "K8S_DISTRIBUTION") && c.FIPS_ENABLED && c.K8S_DISTRIBUTION === "k3s") {
    providerError("K8S_DISTRIBUTION", "k3s has no FIPS build: use K8S_DISTRIBUTION=rke2 or kubeadm-fips", ["FIPS_ENABLED"]);
  }
  if (has(c, "FIPS_ENABLED", "K8S_DISTRIBUTION") && !c.FIPS_ENABLED && c.K8S_DISTRIBUTION === "kubeadm-fips") {
    providerError("K8S_DISTRIBUTION", "kubeadm-fips is built only with FIPS_ENABLED=true", ["FIPS_ENABLED"]);
  }
  if (has(c, "FIPS_ENABLED", "BASE_IMAGE") && c.FIPS_ENABLED && c.BASE_IMAGE === "") {
    error("FIPS_ENABLED", "FIPS builds need a FIPS base image in BASE_IMAGE (e.g. gcr.io/spectro-dev-public/ubuntu-focal-fips:v4.2_20231226, or build one: canvos vendor-base ubuntu-focal-fips or rhel8-fips)");
  }
  if (has(c, "OS_DISTRIBUTION", "OS_VERSION")) {
    const allowed = OS_VERSIONS[c.OS_DISTRIBUTION];
    if (allowed && !allowed.includes(c.OS_VERSION)) {
      error("OS_VERSION", `${quote(c.OS_VERSION)} is not a version of ${c.OS_DISTRIBUTION}: use ${allowed.join(", ")}${didYouMean(c.OS_VERSION, allowed)}`, ["OS_DISTRIBUTION"]);
    } else if (!allowed && c.OS_VERSION === "") {
      error("OS_VERSION", `must not be empty for ${c.OS_DISTRIBUTION}`, ["OS_DISTRIBUTION"]);
    }
  }
  if (has(c, "K8S_DISTRIBUTION", "FIPS_ENABLED")) {
    const versions = versionsFor(c.K8S_DISTRIBUTION, c.FIPS_ENABLED, matrix);
    if (has(c, "K8S_VERSION") && c.K8S_VERSION !== "") {
      const problem = k8sVersionProblem(c.K8S_VERSION, c.K8S_DISTRIBUTION, c.FIPS_ENABLED, matrix);
      if (problem) providerError("K8S_VERSION", problem, ["K8S_DISTRIBUTION", "FIPS_ENABLED"]);
    }
    if (has(c, "IMAGE_REGISTRY", "IMAGE_REPO", "PE_VERSION", "CUSTOM_TAG")) {
      // The longest tag this configuration can produce decides whether every tag fits.
      const candidates = has(c, "K8S_VERSION") && c.K8S_VERSION !== "" ? [c.K8S_VERSION] : versions;
      const longest = candidates.reduce((a, b) => (b.length > a.length ? b : a), "");
      const ref = providerImageRef(c, longest);
      const tag = ref.slice(ref.lastIndexOf(":") + 1);
      const problem = tagProblem(tag);
      if (problem) providerError("CUSTOM_TAG", problem, ["PE_VERSION", "K8S_DISTRIBUTION", "K8S_VERSION"]);
      const nameProblem = nameLengthProblem(ref.slice(0, ref.lastIndexOf(":")));
      if (nameProblem) providerError("IMAGE_REPO", nameProblem, ["IMAGE_REGISTRY", "OS_DISTRIBUTION"]);
    }
  }
  return out;
}

/**
 * Why `version` cannot be built for this distribution and FIPS mode, or undefined. The one rule for
 * K8S_VERSION and --k8s-version alike: the build looks its packages up by the matrix's versions.
 */
export function k8sVersionProblem(version: string, distribution: Config["K8S_DISTRIBUTION"], fips: boolean, matrix: K8sMatrix = loadMatrix()): string | undefined {
  const versions = versionsFor(distribution, fips, matrix);
  const bare = version.replace(/^v/, "");
  if (versions.includes(bare)) return version === bare ? undefined : `${quote(version)}: write it without the leading v (${bare}); image tags use the bare version`;
  const mode = fips ? "FIPS " : "";
  // FIPS builds of a distribution without a list of its own use "other" (versionsFor).
  const section = fips ? "fips" : "standard";
  const list = fips && matrix.fips[distribution] === undefined ? "other" : distribution;
  const known = versions.length > 0 ? `: ${versions.join(", ")}${didYouMean(bare, versions)}` : " (it lists none)";
  return `${quote(version)} is not in the ${mode}${distribution} matrix${known}; to build it, add it to ${MATRIX_FILE_NAME} as {"${section}": {"${list}": [..., "${bare}"]}}`;
}
