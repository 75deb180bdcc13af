// Secrets for the build (`--secret NAME`): the value comes from the environment variable NAME, or
// a hidden prompt on a terminal. It reaches Earthly only through the child's environment; Earthly
// gets `--secret NAME` (earthly.md: a value on a command line shows in `ps`).
import { createInterface } from "node:readline";
import { Writable } from "node:stream";
import { ConfigError, InterruptedError } from "../errors.js";
import { checkSecretNames } from "./secret-names.js";

export interface SecretIo {
  stdin: NodeJS.ReadStream;
  stderr: NodeJS.WriteStream;
}

async function promptHidden(name: string, io: SecretIo): Promise<string> {
  io.stderr.write(`${name} (input hidden): `);
  // Echo goes to a sink: the terminal shows nothing of what is typed.
  const sink = new Writable({ write: (_chunk, _enc, done) => done() });
  const rl = createInterface({ input: io.stdin, output: sink, terminal: true });
  try {
    return await new Promise<string>((resolve, reject) => {
      rl.once("line", resolve);
      // Ctrl-C at the prompt is an interruption like any other (exit 130), not a missing value.
      rl.once("SIGINT", () => reject(new InterruptedError("SIGINT")));
      rl.once("close", () => reject(new ConfigError(`no value given for the secret ${name}`)));
    });
  } finally {
    rl.close();
    io.stderr.write("\n");
  }
}

/** NAME → value for every requested secret; throws a ConfigError naming (never showing) what is missing. */
export async function readSecrets(names: readonly string[], env: NodeJS.ProcessEnv, io: SecretIo = { stdin: process.stdin, stderr: process.stderr }): Promise<Record<string, string>> {
  checkSecretNames(names);
  const values: Record<string, string> = {};
  for (const name of [...new Set(names)]) {
    const value = env[name];
    if (value !== undefined && value !== "") {
      values[name] = value;
      continue;
    }
    if (!io.stdin.isTTY) {
      throw new ConfigError(`the secret ${name} has no value: the environment variable ${name} is not set and there is no terminal to ask on`, [], `export ${name}=... before running canvos (in CI: from the CI system's secrets)`);
    }
    const typed = await promptHidden(name, io);
    if (typed === "") throw new ConfigError(`no value given for the secret ${name}`);
    values[name] = typed;
  }
  return values;
}
