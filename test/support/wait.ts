// Waiting for a state another process reaches (a file it writes, a line it prints), never for a
// length of time: a moment a test acts in is one it has seen, however slow the machine is.
export async function waitFor(check: () => boolean, ms = 15_000, what = "a condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
