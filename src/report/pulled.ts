// `canvos images` for people: one line per image and per download.
import { printable } from "../text.js";
import type { PulledSet } from "../plan/pulled-images.js";

export function renderPulled(set: PulledSet): string {
  const lines: string[] = [];
  for (const image of set.images) {
    const what = image.wholeRepository ? "every tag" : image.platforms.join(", ");
    lines.push(`${printable(image.ref)}  (${what}; ${image.neededBy.map(printable).join(", ")})`);
  }
  for (const download of set.downloads) lines.push(`${printable(download.url)}  (download; ${download.neededBy.map(printable).join(", ")})`);
  return lines.join("\n") + "\n";
}
