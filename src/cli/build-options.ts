// The build commands' own flags, checked with zod. A module of its own, imported inside the action:
// `canvos --help` builds every command and must not load zod, and a static namespace import (not
// `await import("zod")`, whose namespace object would hold all of zod, locales included) lets the
// bundle (scripts/bundle.mjs) leave out what canvos never uses.
import * as z from "zod";

export const buildOptionsSchema = z.object({
  dryRun: z.boolean().default(false),
  json: z.boolean().default(false),
  push: z.boolean().default(false),
  cache: z.boolean().default(true),
  verbose: z.boolean().default(false),
  earthlyBin: z.string().optional(),
  earthlyFlag: z.array(z.string()).default([]),
  k8sVersion: z.array(z.string()).default([]),
  boot: z.boolean().default(false),
  bootTimeout: z.coerce.number().int("must be a whole number of seconds").positive("must be more than 0 seconds").default(300),
});
