// The Palette cluster-profile snippet users paste after provider images are built (facts.md).
// Values come from the resolved configuration: the same PE_VERSION Earthly tags images with.
import type { Config } from "../config/types.js";

export interface ProfileFields {
  registry: string;
  repo: string;
  k8sDistribution: string;
  osName: string;
  peVersion: string;
  customTag: string;
  osVersion: string;
}

export function profileFields(config: Config): ProfileFields {
  return {
    registry: config.IMAGE_REGISTRY,
    repo: config.IMAGE_REPO,
    k8sDistribution: config.K8S_DISTRIBUTION,
    osName: config.OS_DISTRIBUTION,
    peVersion: config.PE_VERSION,
    customTag: config.CUSTOM_TAG,
    osVersion: config.OS_VERSION,
  };
}

// Palette fills this template in; it is printed literally.
const SYSTEM_URI =
  '"{{ .spectro.pack.edge-native-byoi.options.system.registry }}/{{ .spectro.pack.edge-native-byoi.options.system.repo }}:{{ .spectro.pack.edge-native-byoi.options.system.k8sDistribution }}-{{ .spectro.system.kubernetes.version }}-{{ .spectro.pack.edge-native-byoi.options.system.peVersion }}-{{ .spectro.pack.edge-native-byoi.options.system.customTag }}"';

// Images built with an empty CUSTOM_TAG have no trailing "-<tag>" (facts.md), so the URI must not either.
const SYSTEM_URI_NO_TAG = SYSTEM_URI.replace("-{{ .spectro.pack.edge-native-byoi.options.system.customTag }}", "");

/** YAML-quote a value only when plain YAML would read it as something else. */
function scalar(value: string): string {
  if (value === "") return '""';
  if (/^[A-Za-z0-9._/-][A-Za-z0-9._/:-]*$/.test(value) && !/^(true|false|yes|no|on|off|null|~|[-+]?[0-9.]+(e[-+]?[0-9]+)?)$/i.test(value) && !value.includes(": ")) return value;
  return JSON.stringify(value);
}

export function renderProfile(fields: ProfileFields): string {
  return [
    "# Palette cluster profile: paste into the OS layer (edge-native-byoi pack) of your profile.",
    "pack:",
    "  content:",
    "    images:",
    '      - image: "{{.spectro.pack.edge-native-byoi.options.system.uri}}"',
    "  # Node drain behaviour during upgrades (defaults; uncomment to change):",
    "  # drain:",
    "  #   cordon: true",
    "  #   timeout: 60 # in seconds",
    "  #   gracePeriod: 60 # in seconds",
    "  #   ignoreDaemonSets: true",
    "  #   deleteLocalData: true # cleans up the pods' local data",
    "  #   force: true",
    "  #   disableEviction: false",
    "  #   skipWaitForDeleteTimeout: 60 # in seconds",
    "options:",
    `  system.uri: ${fields.customTag === "" ? SYSTEM_URI_NO_TAG : SYSTEM_URI}`,
    `  system.registry: ${scalar(fields.registry)}`,
    `  system.repo: ${scalar(fields.repo)}`,
    `  system.k8sDistribution: ${scalar(fields.k8sDistribution)}`,
    `  system.osName: ${scalar(fields.osName)}`,
    `  system.peVersion: ${scalar(fields.peVersion)}`,
    `  system.customTag: ${scalar(fields.customTag)}`,
    `  system.osVersion: ${scalar(fields.osVersion)}`,
    "",
  ].join("\n");
}
