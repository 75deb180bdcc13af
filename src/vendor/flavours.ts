// The vendor base images canvos can build (facts.md, "Base images users build themselves"), as
// data: where each definition lives, what it is built from, the secrets it takes and what the user
// must bring. Loaded by the command's --help, so it imports nothing.

export const FLAVOURS = ["rhel8", "rhel8-fips", "ubuntu-focal-fips", "slem"] as const;
export type Flavour = (typeof FLAVOURS)[number];

/** A BuildKit secret of a definition: its id in `RUN --mount=type=secret,id=...`, its value from the environment variable `env`. */
export interface VendorSecret {
  id: string;
  env: string;
}

export interface FlavourSpec {
  /** Its definition's folder in vendor-base/: flavours that differ by a build argument share one. */
  definition: string;
  /** Build arguments of the definition that make this flavour of it. */
  definitionArgs: Readonly<Record<string, string>>;
  /** The .arg values a build on this image needs. */
  distribution: "rhel" | "ubuntu" | "sles";
  osVersion: string | undefined;
  fips: boolean;
  arch: "amd64";
  /** The vendor OS image the definition starts from (its VENDOR_BASE default). */
  vendorImage: string;
  /** The Kairos framework image copied in (its KAIROS_FRAMEWORK default). */
  framework: string;
  /**
   * Sets of secrets, any one of which is enough (Red Hat takes a user and password or an
   * organisation and activation key). The first set is the one named when none is given.
   */
  secretSets: readonly (readonly VendorSecret[])[];
  /** What the user must have, in a sentence. */
  needs: string;
}

export const KAIROS_VERSION = "v2.4.5";
const FRAMEWORK = `quay.io/kairos/framework:${KAIROS_VERSION}`;
const UBI8 = "registry.access.redhat.com/ubi8/ubi-init:8.7-10";

const RED_HAT: readonly (readonly VendorSecret[])[] = [
  [
    { id: "rh-username", env: "RH_USERNAME" },
    { id: "rh-password", env: "RH_PASSWORD" },
  ],
  [
    { id: "rh-org", env: "RH_ORG" },
    { id: "rh-activation-key", env: "RH_ACTIVATION_KEY" },
  ],
];
const RED_HAT_NEEDS = "a Red Hat account with a RHEL subscription: RH_USERNAME and RH_PASSWORD, or RH_ORG and RH_ACTIVATION_KEY";

export const FLAVOUR_SPECS: Readonly<Record<Flavour, FlavourSpec>> = {
  rhel8: { definition: "rhel8", definitionArgs: { FIPS: "false" }, distribution: "rhel", osVersion: undefined, fips: false, arch: "amd64", vendorImage: UBI8, framework: FRAMEWORK, secretSets: RED_HAT, needs: RED_HAT_NEEDS },
  "rhel8-fips": { definition: "rhel8", definitionArgs: { FIPS: "true" }, distribution: "rhel", osVersion: undefined, fips: true, arch: "amd64", vendorImage: UBI8, framework: `${FRAMEWORK}-fips`, secretSets: RED_HAT, needs: RED_HAT_NEEDS },
  "ubuntu-focal-fips": {
    definition: "ubuntu-focal-fips",
    definitionArgs: {},
    distribution: "ubuntu",
    osVersion: "20",
    fips: true,
    arch: "amd64",
    vendorImage: "ubuntu:20.04",
    framework: `${FRAMEWORK}-fips`,
    secretSets: [[{ id: "ubuntu-pro-token", env: "UBUNTU_PRO_TOKEN" }]],
    needs: "an Ubuntu Pro subscription: its token in UBUNTU_PRO_TOKEN (ubuntu.com/pro/dashboard)",
  },
  slem: {
    definition: "slem",
    definitionArgs: {},
    distribution: "sles",
    osVersion: "5.4",
    fips: false,
    arch: "amd64",
    vendorImage: "registry.suse.com/suse/sle-micro-rancher/5.4:latest",
    framework: FRAMEWORK,
    secretSets: [[{ id: "sle-regcode", env: "SLE_REGCODE" }]],
    needs: "a SLE Micro subscription: its registration code in SLE_REGCODE, and a registered SLE Micro host to build on",
  },
};

/** Every secret a flavour's definition mounts, each once. */
export function allSecrets(spec: FlavourSpec): VendorSecret[] {
  return [...new Map(spec.secretSets.flat().map((s) => [s.id, s])).values()];
}

/** The prebuilt base images Spectro Cloud publishes (the reference's image.lst), for users who need not build one. */
export const PREBUILT_BASE_IMAGES: readonly { ref: string; distribution: string; what: string }[] = [
  { ref: "gcr.io/spectro-images-public/kairos-ubuntu:20.04-core-amd64-generic-v2.4.5", distribution: "ubuntu", what: "Ubuntu 20.04" },
  { ref: "gcr.io/spectro-images-public/kairos-ubuntu:22.04-core-amd64-generic-v2.4.5", distribution: "ubuntu", what: "Ubuntu 22.04" },
  { ref: "gcr.io/spectro-images-public/opensuse:leap-15.5-core-amd64-generic-v2.4.5", distribution: "opensuse-leap", what: "openSUSE Leap 15.5" },
  { ref: "gcr.io/spectro-images-public/rhel8:core-amd64-generic-v2.4.5", distribution: "rhel", what: "RHEL 8 (like rhel8)" },
  { ref: "gcr.io/spectro-images-public/slem:2.4.5", distribution: "sles", what: "SLE Micro (like slem)" },
  { ref: "gcr.io/spectro-images-public/ubuntu-focal-fips:v2.4.5", distribution: "ubuntu", what: "Ubuntu 20.04 FIPS (like ubuntu-focal-fips)" },
  { ref: "gcr.io/spectro-images-public/rhel-fips:v2.4.5", distribution: "rhel", what: "RHEL 8 FIPS (like rhel8-fips)" },
];
