// The docker commands that check an image in the local Docker, alone in a module: the dry run
// lists them without loading the layer reader.

/** Its platform (`linux/amd64`), then its file system as a tar, read for /etc/os-release. */
export function localImageCommands(ref: string): { inspect: string[]; save: string[] } {
  return { inspect: ["image", "inspect", "--format", "{{.Os}}/{{.Architecture}}", ref], save: ["save", ref] };
}
