import { ConfigError } from "../errors.js";
import { validateWorkspace } from "../config/validate.js";
import { earthfileExtras } from "../config/earthfile-args.js";
import { invalidSummary, renderValidation, validationJson } from "../report/validation.js";
import type { ResolveOptions } from "../config/types.js";

export async function runValidate(request: ResolveOptions, options: { json: boolean }): Promise<void> {
  const { validation } = await validateWorkspace(request, await earthfileExtras(request.cwd));
  if (options.json) {
    process.stdout.write(validationJson(validation));
    if (!validation.valid) throw new ConfigError(invalidSummary(validation), validation.problems);
    return;
  }
  renderValidation(validation, process.stdout, process.stderr);
  // Problems are already printed; the error only carries the exit code.
  if (!validation.valid) throw new ConfigError(invalidSummary(validation));
}
