// The catalogue of every build parameter canvos knows: name, default, allowed values, and how to
// show it. The zod schema, the README table, `init`, the Earthfile contract tests and the plan all
// read this one list, so a parameter is added in exactly one place.

export type ParameterKind = "string" | "boolean" | "enum" | "path" | "image" | "version" | "url";
export type ParameterGroup = "build" | "proxy" | "registry" | "pin";

export interface ParameterSpec {
  readonly name: string;
  readonly description: string;
  /** The built-in default as text; "" means unset. May reference other keys as `$KEY`. */
  readonly default: string;
  readonly kind: ParameterKind;
  readonly values?: readonly string[];
  readonly group: ParameterGroup;
  /** Shown masked in every output (the userinfo of a proxy URL, for example). */
  readonly sensitive?: boolean;
  /** Falls back to this environment variable when no file or flag sets it. */
  readonly env?: readonly string[];
}

export const OS_DISTRIBUTIONS = ["ubuntu", "opensuse-leap", "rhel", "sles"] as const;
export const K8S_DISTRIBUTIONS = ["k3s", "rke2", "kubeadm", "kubeadm-fips"] as const;
export const ARCHES = ["amd64", "arm64"] as const;
export const BOOLEANS = ["true", "false"] as const;

export type OsDistribution = (typeof OS_DISTRIBUTIONS)[number];
export type K8sDistribution = (typeof K8S_DISTRIBUTIONS)[number];
export type Arch = (typeof ARCHES)[number];

/** OS_VERSION values per distribution. rhel is free-form: its base image decides. */
export const OS_VERSIONS: Readonly<Record<OsDistribution, readonly string[] | null>> = {
  ubuntu: ["20", "22", "20.04", "22.04"],
  "opensuse-leap": ["15.4", "15.5", "15.6"],
  sles: ["5.4"],
  rhel: null,
};

export const PARAMETERS: readonly ParameterSpec[] = [
  { name: "CUSTOM_TAG", group: "build", kind: "string", default: "demo", description: "Environment name appended to provider image tags; empty for none." },
  { name: "IMAGE_REGISTRY", group: "build", kind: "string", default: "ttl.sh", description: "Registry that stores the provider images (ttl.sh deletes images after 24 h)." },
  { name: "OS_DISTRIBUTION", group: "build", kind: "enum", values: OS_DISTRIBUTIONS, default: "ubuntu", description: "Operating system of the base image." },
  { name: "IMAGE_REPO", group: "build", kind: "string", default: "$OS_DISTRIBUTION", description: "Repository for the provider images in IMAGE_REGISTRY." },
  { name: "OS_VERSION", group: "build", kind: "string", default: "22", description: "OS version: ubuntu 20 or 22, opensuse-leap 15.4/15.5/15.6, sles 5.4." },
  { name: "K8S_DISTRIBUTION", group: "build", kind: "enum", values: K8S_DISTRIBUTIONS, default: "k3s", description: "Kubernetes distribution of the provider images." },
  { name: "ISO_NAME", group: "build", kind: "string", default: "palette-edge-installer", description: "File name (without .iso) of the installer ISO under build/." },
  { name: "ARCH", group: "build", kind: "enum", values: ARCHES, default: "amd64", description: "Target architecture." },
  { name: "BASE_IMAGE", group: "build", kind: "image", default: "", description: "Base image; required for rhel, sles, arm64 and FIPS builds." },
  { name: "FIPS_ENABLED", group: "build", kind: "boolean", values: BOOLEANS, default: "false", description: "Build FIPS-compliant images." },
  { name: "K8S_VERSION", group: "build", kind: "version", default: "", description: "One Kubernetes version to build (default: the whole matrix of the distribution)." },
  { name: "PE_VERSION", group: "pin", kind: "version", default: "v4.3.2", description: "Palette Edge version (stylus framework)." },
  { name: "UPDATE_KERNEL", group: "build", kind: "boolean", values: BOOLEANS, default: "false", description: "Upgrade the kernel from the OS vendor instead of holding it." },
  { name: "DISABLE_SELINUX", group: "build", kind: "boolean", values: BOOLEANS, default: "true", description: "Switch SELinux off in the OS." },
  { name: "CLUSTERCONFIG", group: "build", kind: "path", default: "", description: "Path of a cluster definition (spc.tgz) to embed in the ISO." },
  { name: "HTTP_PROXY", group: "proxy", kind: "url", default: "", sensitive: true, env: ["HTTP_PROXY", "http_proxy"], description: "HTTP proxy URL for the build." },
  { name: "HTTPS_PROXY", group: "proxy", kind: "url", default: "", sensitive: true, env: ["HTTPS_PROXY", "https_proxy"], description: "HTTPS proxy URL for the build." },
  { name: "NO_PROXY", group: "proxy", kind: "string", default: "", env: ["NO_PROXY", "no_proxy"], description: "Hosts that bypass the proxy." },
  { name: "PROXY_CERT_PATH", group: "proxy", kind: "path", default: "", description: "PEM CA certificate of the proxy." },
  { name: "SPECTRO_PUB_REPO", group: "registry", kind: "string", default: "gcr.io/spectro-images-public", description: "Registry prefix of Spectro Cloud's public images." },
  { name: "SPECTRO_LUET_REPO", group: "registry", kind: "string", default: "gcr.io/spectro-dev-public", description: "Registry prefix of the luet package repository." },
  { name: "KAIROS_BASE_IMAGE_URL", group: "registry", kind: "string", default: "gcr.io/spectro-images-public", description: "Registry prefix of the Kairos base images and osbuilder." },
  { name: "ETCD_REPO", group: "registry", kind: "url", default: "https://github.com/etcd-io", description: "Where etcd's releases are downloaded from (a mirror of github.com/etcd-io's release layout)." },
  { name: "KAIROS_VERSION", group: "pin", kind: "version", default: "v2.4.5", description: "Kairos release of the base image." },
  { name: "K3S_PROVIDER_VERSION", group: "pin", kind: "version", default: "v4.2.1", description: "Kairos k3s provider image version." },
  { name: "KUBEADM_PROVIDER_VERSION", group: "pin", kind: "version", default: "v4.3.1", description: "Kairos kubeadm provider image version." },
  { name: "RKE2_PROVIDER_VERSION", group: "pin", kind: "version", default: "v4.1.1", description: "Kairos rke2 provider image version." },
  { name: "OSBUILDER_VERSION", group: "pin", kind: "version", default: "v0.7.11", description: "Kairos osbuilder-tools image version." },
  { name: "ALPINE_CERT_VERSION", group: "pin", kind: "version", default: "v1.0.0", description: "canvos/alpine-cert helper image version." },
  { name: "ETCD_VERSION", group: "pin", kind: "version", default: "v3.5.13", description: "etcdctl release." },
  { name: "K3S_FLAVOR_TAG", group: "pin", kind: "string", default: "k3s1", description: "Suffix of k3s luet package versions." },
  { name: "RKE2_FLAVOR_TAG", group: "pin", kind: "string", default: "rke2r1", description: "Suffix of rke2 luet package versions." },
];

export const PARAMETER_NAMES: readonly string[] = PARAMETERS.map((p) => p.name);

const byName = new Map(PARAMETERS.map((p) => [p.name, p]));

export function parameterSpec(name: string): ParameterSpec | undefined {
  return byName.get(name);
}
