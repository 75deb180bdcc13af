// The shape of an Earthfile as canvos sees it: enough structure to check the contract between the
// Earthfile and canvos (targets, ARGs, BUILDs, saved images and artifacts), not a full grammar.
import type { Problem } from "../errors.js";

export interface ArgDecl {
  name: string;
  /** The default as written (quotes removed, `$VAR` not expanded); absent when none is given. */
  default?: string;
  required: boolean;
  global: boolean;
  line: number;
}

/** `LET name=value` (kind "let") or `SET name=value` (kind "set"). */
export interface VarAssign {
  kind: "let" | "set";
  name: string;
  value: string;
  line: number;
}

export interface BuildRef {
  /** The target reference as written: `+provider-image`, `./sub+t`. */
  target: string;
  /** `--KEY=value` after the target (and `--build-arg KEY=value` before it); repeats kept in order. */
  args: Record<string, string[]>;
  /** Flags before the target, e.g. `--platform=linux/amd64`. */
  flags: string[];
  line: number;
}

export interface SaveImage {
  refs: string[];
  push: boolean;
  line: number;
}

export interface SaveArtifact {
  src: string;
  dest?: string;
  /** The path after `AS LOCAL`. */
  local?: string;
  flags: string[];
  line: number;
}

export interface FromRef {
  kind: "image" | "target" | "dockerfile";
  /** Image name, target reference, or (for FROM DOCKERFILE) the context path. */
  ref: string;
  /** FROM DOCKERFILE's `-f` value. */
  dockerfile?: string;
  platform?: string;
  /** `--build-arg K=V` (and, for targets, `--K=V` after the reference). */
  args: Record<string, string[]>;
  line: number;
}

export interface CopyCmd {
  sources: string[];
  dest: string;
  flags: string[];
  ifExists: boolean;
  line: number;
}

export interface RunCmd {
  /** The command text after RUN and its flags, continuation lines joined with a space. */
  command: string;
  flags: string[];
  line: number;
}

/** One logical command: keyword (two words for `SAVE IMAGE` and the like) and its raw text. */
export interface Command {
  keyword: string;
  text: string;
  line: number;
}

export type Node =
  | { kind: "command"; command: Command }
  | { kind: "if"; line: number; branches: IfBranch[] }
  | { kind: "block"; keyword: string; header: string; line: number; body: Node[] };

export interface IfBranch {
  /** The condition text; null for ELSE. */
  condition: string | null;
  line: number;
  body: Node[];
}

export interface Target {
  name: string;
  kind: "target" | "function";
  line: number;
  /** Every collection below includes commands inside IF/FOR/... blocks. */
  args: ArgDecl[];
  vars: VarAssign[];
  builds: BuildRef[];
  froms: FromRef[];
  copies: CopyCmd[];
  runs: RunCmd[];
  /** `DO +FUNCTION` calls. */
  dos: { target: string; line: number }[];
  saveImages: SaveImage[];
  saveArtifacts: SaveArtifact[];
  /** The recipe as a tree, for evaluation. */
  body: Node[];
}

export interface EarthfileModel {
  file: string;
  version: string | undefined;
  globalArgs: ArgDecl[];
  /** Commands of the base recipe (before the first target). */
  base: Node[];
  targets: Map<string, Target>;
  /** Syntax problems found while reading; reading never throws. */
  problems: Problem[];
}
