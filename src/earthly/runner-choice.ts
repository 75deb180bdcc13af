// The runner names, alone in a module: command definitions import them at start-up.
export const RUNNERS = ["auto", "native", "docker"] as const;
export type RunnerChoice = (typeof RUNNERS)[number];
// The engine names too, not in engine.ts: that loads node:fs, and option definitions load at start-up.
export const ENGINE_CHOICES = ["auto", "earthly", "earthbuild"] as const;
export type EngineChoice = (typeof ENGINE_CHOICES)[number];
