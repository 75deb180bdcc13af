// The shapes the rest of canvos sees of a resolved configuration.
import type { Problem } from "../errors.js";
import type { Arch, K8sDistribution, OsDistribution } from "./parameters.js";
import type { K8sMatrix } from "./k8s-matrix.js";

/** Every parameter after validation. Booleans are real booleans; unset strings are "". */
export interface Config {
  CUSTOM_TAG: string;
  IMAGE_REGISTRY: string;
  OS_DISTRIBUTION: OsDistribution;
  IMAGE_REPO: string;
  OS_VERSION: string;
  K8S_DISTRIBUTION: K8sDistribution;
  ISO_NAME: string;
  ARCH: Arch;
  BASE_IMAGE: string;
  FIPS_ENABLED: boolean;
  K8S_VERSION: string;
  PE_VERSION: string;
  UPDATE_KERNEL: boolean;
  DISABLE_SELINUX: boolean;
  CLUSTERCONFIG: string;
  HTTP_PROXY: string;
  HTTPS_PROXY: string;
  NO_PROXY: string;
  PROXY_CERT_PATH: string;
  SPECTRO_PUB_REPO: string;
  SPECTRO_LUET_REPO: string;
  KAIROS_BASE_IMAGE_URL: string;
  ETCD_REPO: string;
  KAIROS_VERSION: string;
  K3S_PROVIDER_VERSION: string;
  KUBEADM_PROVIDER_VERSION: string;
  RKE2_PROVIDER_VERSION: string;
  OSBUILDER_VERSION: string;
  ALPINE_CERT_VERSION: string;
  ETCD_VERSION: string;
  K3S_FLAVOR_TAG: string;
  RKE2_FLAVOR_TAG: string;
}

export type ParameterName = keyof Config;

/** Where a value came from, for `validate` and for error locations. */
export type Source =
  | { kind: "default" }
  | { kind: "file"; file: string; line: number }
  | { kind: "flag"; flag: string }
  | { kind: "env"; variable: string };

/** One `--KEY=value` or friendly-flag override from the command line. */
export interface Override {
  key: string;
  value: string;
  /** How the user spelled it, e.g. `--ARCH` or `--arch`, for error messages. */
  flag: string;
}

export interface ResolveOptions {
  /** The workspace: where `.arg`, `user-data`, the Earthfile and `build/` live. */
  cwd: string;
  /** `--arg-file`; undefined means `./.arg`, which may be missing. */
  argFile?: string | undefined;
  overrides: readonly Override[];
  env: NodeJS.ProcessEnv;
  /** Problems already found in the command line, reported together with the configuration's. */
  commandLineProblems?: readonly Problem[];
  /**
   * What the command builds (BUILDS_PROVIDERS, BUILDS_ISO of src/plan/targets.ts): rules about
   * provider images hold only where they are built. Unset (validate, doctor, init): any command.
   */
  builds?: { providers: boolean; iso: boolean } | undefined;
}

export interface ResolvedConfig {
  config: Config;
  sources: Readonly<Record<string, Source>>;
  /**
   * Values of ARGs that the workspace's Earthfile declares beyond canvos's own catalogue
   * (a user's addition). They are passed to Earthly as they are.
   */
  extra: Readonly<Record<string, string>>;
  extraSources: Readonly<Record<string, Source>>;
  /** Absolute path of the arg file read, or null when none was. */
  argFile: string | null;
  /** Things worth saying that do not stop the run (a missing default `.arg`, say). */
  warnings: readonly Problem[];
  /** The Kubernetes versions the build can make: the workspace's k8s_version.json, else the package's. */
  matrix: K8sMatrix;
  /** Keys whose value was built from a secret (`${GITHUB_TOKEN}`): secret as a whole, like a secret-named key. */
  secretKeys: ReadonlySet<string>;
}
