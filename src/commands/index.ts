// Every command canvos has. Each module only describes its command; the work is imported lazily
// inside the action, so `canvos --help` loads none of it.
import type { Command } from "commander";
import { validateCommand } from "./validate.js";
import { initCommand } from "./init.js";
import { versionsCommand } from "./versions.js";
import { buildAllCommand, isoCommand, providerCommand, baseCommand } from "./build.js";
import { profileCommand } from "./profile.js";
import { doctorCommand } from "./doctor.js";
import { matrixCommand } from "./matrix.js";
import { verifyCommand } from "./verify.js";
import { vendorBaseCommand } from "./vendor-base.js";
import { imagesCommand } from "./images.js";
import { mirrorCommand } from "./mirror.js";

export const commands: ReadonlyArray<() => Command> = [
  validateCommand,
  initCommand,
  versionsCommand,
  buildAllCommand,
  isoCommand,
  providerCommand,
  baseCommand,
  profileCommand,
  doctorCommand,
  matrixCommand,
  verifyCommand,
  vendorBaseCommand,
  imagesCommand,
  mirrorCommand,
];
