// A wall clock that stands still, for runs that must happen "at the same moment": libfaketime
// (Debian's faketime package, installed by .ci/run) preloaded into the child. Only the wall clock
// stops; the monotonic one goes on, so timers still fire.
import { existsSync } from "node:fs";

const LIBRARIES = ["/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1", "/usr/lib/faketime/libfaketime.so.1"];

/** The environment that stops the wall clock at `iso` (e.g. "2026-01-01 00:00:00") for a child. */
export function frozenClock(iso: string): Record<string, string> {
  const library = LIBRARIES.find((path) => existsSync(path));
  if (library === undefined) throw new Error("libfaketime is missing: apt-get install faketime (.ci/run installs it)");
  return { LD_PRELOAD: library, FAKETIME: iso, FAKETIME_DONT_FAKE_MONOTONIC: "1", FAKETIME_NO_CACHE: "1" };
}
