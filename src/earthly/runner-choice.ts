// The runner names, alone in a module: command definitions import them at start-up.
export const RUNNERS = ["auto", "native", "docker"] as const;
export type RunnerChoice = (typeof RUNNERS)[number];
