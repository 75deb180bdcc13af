// The zod schema of every parameter: one field per catalogue entry, each with its own message.
// Cross-field rules live in rules.ts and run over the fields that passed.
// A namespace import, not { z }: the bundle (scripts/bundle.mjs) then leaves out what canvos never
// uses of zod, its ~40 locales above all (760 KB of JavaScript to compile at start-up, 170 KB without).
import { quote } from "../text.js";
import * as z from "zod";
import { PARAMETERS, type ParameterSpec } from "./parameters.js";
import { didYouMean } from "./suggest.js";
import { proxyUrlProblem } from "./proxy-url.js";
import { imageReferenceProblem, registryProblem, repositoryProblem } from "./image-ref.js";

const VERSION = /^v?\d+(\.\d+){0,3}([-+][0-9A-Za-z.-]+)?$/;
const PLAIN_FILE_NAME = /^[A-Za-z0-9_][A-Za-z0-9._+-]*$/;

function custom(check: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const message = check(value);
    if (message !== undefined) ctx.addIssue({ code: "custom", message });
  });
}

function oneOf(values: readonly string[]) {
  return (value: string) =>
    values.includes(value) ? undefined : `${quote(value)} is not one of ${values.join(", ")}${didYouMean(value, values)}`;
}

const booleanField = z.string().transform((value, ctx) => {
  if (value === "true") return true;
  if (value === "false") return false;
  const lower = value.toLowerCase();
  const hint = ["true", "yes", "1", "on"].includes(lower) ? ' (did you mean "true"?)' : ["false", "no", "0", "off"].includes(lower) ? ' (did you mean "false"?)' : "";
  ctx.addIssue({ code: "custom", message: `${quote(value)} is not a boolean: use true or false${hint}` });
  return z.NEVER;
});

/** Checks by parameter name, for strings whose shape matters beyond their kind. */
const NAMED_CHECKS: Readonly<Record<string, (value: string) => string | undefined>> = {
  IMAGE_REGISTRY: registryProblem,
  IMAGE_REPO: repositoryProblem,
  ISO_NAME: (value) => {
    if (value === "") return "must not be empty";
    if (value.endsWith(".iso")) return `${quote(value)}: give the name without .iso (the build adds it: ${quote(value)})`;
    if (!PLAIN_FILE_NAME.test(value) || value.length > 200) return `${quote(value)} is not a plain file name (letters, digits, . _ + -; no / or spaces)`;
    return undefined;
  },
  CUSTOM_TAG: (value) => (value === "" || /^[\w][\w.-]*$/.test(value) ? undefined : `${quote(value)} cannot be part of an image tag (letters, digits, _ . -)`),
  SPECTRO_PUB_REPO: registryProblem,
  SPECTRO_LUET_REPO: registryProblem,
  KAIROS_BASE_IMAGE_URL: registryProblem,
  K3S_FLAVOR_TAG: (value) => (/^[a-z0-9]+$/.test(value) ? undefined : `${quote(value)} is not a flavour tag like k3s1`),
  RKE2_FLAVOR_TAG: (value) => (/^[a-z0-9]+$/.test(value) ? undefined : `${quote(value)} is not a flavour tag like rke2r1`),
};

function kindCheck(spec: ParameterSpec): (value: string) => string | undefined {
  switch (spec.kind) {
    case "enum":
      return oneOf(spec.values ?? []);
    case "version":
      return (value) =>
        value === "" && spec.default === "" ? undefined : VERSION.test(value) ? undefined : `${quote(value)} is not a version (like ${spec.default || "1.27.2"})`;
    case "image":
      return (value) => (value === "" ? undefined : imageReferenceProblem(value));
    case "url":
      return proxyUrlProblem;
    case "path":
      return (value) => (value.includes("\0") ? "contains a NUL byte" : undefined);
    default:
      return () => undefined;
  }
}

function fieldSchema(spec: ParameterSpec): z.ZodType<string | boolean, string> {
  if (spec.kind === "boolean") return booleanField;
  const byKind = kindCheck(spec);
  const byName = NAMED_CHECKS[spec.name];
  return custom((value) => byKind(value) ?? byName?.(value));
}

/** Every parameter, as text in, typed out. */
export const configFieldsSchema = z.object(Object.fromEntries(PARAMETERS.map((spec) => [spec.name, fieldSchema(spec)])));
