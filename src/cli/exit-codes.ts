// Exit codes, documented in the README. Apart from the error renderer, so that `--help` (a
// CommanderError with code 0) gets its code without loading the renderer and its colours.
export const EXIT = {
  ok: 0,
  build: 1,
  usage: 2,
  environment: 3,
  internal: 70,
} as const;
