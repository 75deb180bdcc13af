// Image references canvos computes. The Earthfile's SAVE IMAGE lines must yield the same strings;
// test/earthfile checks that they do.
import type { Config } from "../config/types.js";

type TagFields = Pick<Config, "IMAGE_REGISTRY" | "IMAGE_REPO" | "K8S_DISTRIBUTION" | "PE_VERSION" | "CUSTOM_TAG">;

/** `$IMAGE_REGISTRY/$IMAGE_REPO:$K8S_DISTRIBUTION-$K8S_VERSION-$PE_VERSION[-$CUSTOM_TAG]` */
export function providerImageRef(config: TagFields, k8sVersion: string): string {
  const tag = [config.K8S_DISTRIBUTION, k8sVersion, config.PE_VERSION, config.CUSTOM_TAG].filter((part) => part !== "").join("-");
  return `${config.IMAGE_REGISTRY}/${config.IMAGE_REPO}:${tag}`;
}

function localTag(config: Pick<Config, "PE_VERSION" | "CUSTOM_TAG">): string {
  return [config.PE_VERSION, config.CUSTOM_TAG].filter((part) => part !== "").join("-");
}

/** The installer image, kept in the local Docker only: `palette-installer-image:$PE_VERSION[-$CUSTOM_TAG]`. */
export function installerImageRef(config: Pick<Config, "PE_VERSION" | "CUSTOM_TAG">): string {
  return `palette-installer-image:${localTag(config)}`;
}

/** What `canvos base` leaves in the local Docker: `palette-base-image:$PE_VERSION[-$CUSTOM_TAG]`. */
export function baseImageRef(config: Pick<Config, "PE_VERSION" | "CUSTOM_TAG">): string {
  return `palette-base-image:${localTag(config)}`;
}
