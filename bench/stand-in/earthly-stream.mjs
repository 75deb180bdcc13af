#!/usr/bin/env node
// Bench-only stand-in for Earthly that talks a lot: BENCH_STREAM_BYTES of Earthly-shaped log lines
// on stderr (target prefixes in colour, progress lines, CR overwrites, long lines), then a valid
// ISO, its .sha256 and the summary lines of a successful `+iso`. It must itself be fast, or it
// would hide the cost of what reads it: one block is built once and written again and again.
// BENCH_STREAM_STATS=file receives {lines, bytes, expectLines, expectBytes, maxRssKb}: what canvos's
// log must keep: one line per LF, colour codes dropped, each line as a terminal shows it (the text
// after its last lone CR; CRLF is LF).
import { copyFileSync, mkdirSync, writeFileSync, writeSync } from "node:fs";

const argv = process.argv.slice(2);
if (argv[0] === "--version") {
  process.stdout.write("earthly version v0.8.15 c5d8ad5e2b4a3c0f9c0f3b1f0a1d9e8f7c6b5a49 linux/amd64; bench\n");
  process.exit(0);
}
const total = Number(process.env.BENCH_STREAM_BYTES ?? 100 * 1024 * 1024);
const arg = (name, fallback) => (argv.find((a) => a.startsWith(`--${name}=`)) ?? `--${name}=${fallback}`).slice(name.length + 3);
const iso = arg("ISO_NAME", "palette-edge-installer");
// The Earthfile's +iso reaches +iso-image through BUILD: its image is in the summary too.
const installer = `palette-installer-image:${[arg("PE_VERSION", "v4.3.2"), arg("CUSTOM_TAG", "demo")].filter(Boolean).join("-")}`;

const ESC = "\u001b";
const paint = (code, s) => `${ESC}[${code}m${s}${ESC}[0m`;
const prefix = (target) => paint("36", `${target.padStart(20)} | `);
const targets = ["+base-image", "+provider-image", "+iso-image", "+iso", "+helper", "+proxy-certs"];

// One block of about 1 MiB: the mix of a real build's log.
const lines = [];
let n = 0;
let size = 0;
while (size < 1024 * 1024) {
  const t = targets[n % targets.length];
  let text;
  switch (n % 16) {
    case 0: text = `--> RUN apt-get update && apt-get install -y zstd vim linux-image-generic-hwe-22.04 # step ${n}`; break;
    case 1: text = `Get:${n} http://archive.ubuntu.com/ubuntu jammy-updates/main amd64 libc6 amd64 2.35-0ubuntu3.${n % 9} [3,235 kB]`; break;
    case 2: text = `[${"█".repeat(n % 30)}${" ".repeat(30 - (n % 30))}] ${(n * 7) % 100}% resolve docker.io/library/ubuntu:22.04@sha256:${"ab12".repeat(16)}`; break;
    case 3: text = `downloading 45%\rdownloading 78%\rdownloading 100%`; break;
    case 4: text = `gcc -O2 ${"-I/usr/include/some/long/path ".repeat(40 + (n % 100))}-o out.o`; break; // 1-4 KB
    case 5: text = paint("33", `WARNING: apt does not have a stable CLI interface. Use with caution in scripts.`); break;
    case 6: if (n % 512 === 6) { text = `${"x".repeat(64 * 1024)}`; break; } // now and then a 64 KiB line
    // fall through
    default: text = `Setting up package-${n % 997} (1.${n % 13}.${n % 7}-1ubuntu${n % 5}) ...`;
  }
  const line = `${prefix(t)}${text}\n`;
  lines.push(line);
  size += Buffer.byteLength(line);
  n++;
}
const block = Buffer.from(lines.join(""));
lines.length = 0;

const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]/g;
/** Lines and bytes canvos's log keeps of `text` (cleanLine in src/earthly/output.ts), one LF each. */
function expected(text) {
  const parts = text.split("\n");
  parts.pop(); // text ends with a line end
  let bytes = 0;
  for (const p of parts) {
    let line = p.replace(ANSI, "");
    if (line.endsWith("\r")) line = line.slice(0, -1);
    line = line.slice(line.lastIndexOf("\r") + 1);
    bytes += Buffer.byteLength(line) + 1;
  }
  return { lines: parts.length, bytes };
}
const blockExpect = expected(block.toString());
let expectLines = 0;
let expectBytes = 0;
const err = (s) => {
  const e = expected(s);
  expectLines += e.lines;
  expectBytes += e.bytes;
  writeSync(2, s);
};
err(`\n Init 🚀\n${"—".repeat(80)}\n\n${prefix("buildkitd")}Found buildkit daemon as docker container (earthly-buildkitd)\n\n Build 🔧\n${"—".repeat(80)}\n\n`);
let written = 0;
let blocks = 0;
while (written + block.length <= total) {
  // writeSync on a pipe blocks while the reader is behind, as Earthly's own writes would.
  for (let off = 0; off < block.length; ) off += writeSync(2, block, off);
  written += block.length;
  blocks++;
}
expectLines += blocks * blockExpect.lines;
expectBytes += blocks * blockExpect.bytes;

mkdirSync("build", { recursive: true });
// A real installer ISO, made once per machine (test/support/make-iso.mjs), as canvos checks it.
const { templateIso } = await import(new URL("../../test/support/make-iso.mjs", import.meta.url).href);
const template = templateIso("amd64");
copyFileSync(template.path, `build/${iso}.iso`);
writeFileSync(`build/${iso}.iso.sha256`, `${template.sha256}  ${iso}.iso\n`);
err(`\n Push Summary ⏫ (disabled)\n${"—".repeat(80)}\n\n Local Output Summary 🎁\n${"—".repeat(80)}\n\n`);
err(`Artifact +iso/${iso}.iso output as build/${iso}.iso\nArtifact +iso/${iso}.iso.sha256 output as build/${iso}.iso.sha256\nImage +iso-image output as ${installer}\n\n`);
err(paint("32", "========================== 🌍 Earthly Build  ✅ SUCCESS ==========================") + "\n");
if (process.env.BENCH_STREAM_STATS) {
  writeFileSync(process.env.BENCH_STREAM_STATS, JSON.stringify({
    lines: expectLines,
    bytes: written,
    expectLines,
    expectBytes,
    maxRssKb: process.resourceUsage().maxRSS,
  }));
}
