// After `--push`: asks the registry for every planned image, so "pushed" means "is there".
import { RegistryClient } from "./client.js";

export interface PushCheck {
  present: string[];
  missing: string[];
}

export async function checkPushed(refs: readonly string[], env: NodeJS.ProcessEnv, onWarning?: (message: string) => void, signal?: AbortSignal): Promise<PushCheck> {
  const client = new RegistryClient({ env, signal, ...(onWarning ? { onWarning } : {}) });
  const result: PushCheck = { present: [], missing: [] };
  for (const ref of refs) (await client.imageExists(ref) ? result.present : result.missing).push(ref);
  return result;
}
