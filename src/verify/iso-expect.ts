// What the installer ISO must carry, from the configuration and the workspace, as the Earthfile's
// +iso puts it into osbuilder's overlay (facts.md): overlay/files-iso/ as it is, user-data as
// /config.yaml, CLUSTERCONFIG as /opt/spectrocloud/clusterconfig/spc.tgz, every content-*/*.zst
// under /opt/spectrocloud/content/.
import { readdir, stat } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import type { Config } from "../config/types.js";
import type { IsoExpectation } from "./iso.js";

export const ISO_OVERLAY_DIR = "overlay/files-iso";
export const USER_DATA_ON_ISO = "config.yaml";
export const CLUSTER_CONFIG_ON_ISO = "opt/spectrocloud/clusterconfig/spc.tgz";
export const CONTENT_ON_ISO = "opt/spectrocloud/content";

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

async function filesUnder(dir: string, prefix = ""): Promise<string[]> {
  const names = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const out: string[] = [];
  for (const entry of names.sort((a, b) => a.name.localeCompare(b.name))) {
    const rel = prefix === "" ? entry.name : `${prefix}/${entry.name}`;
    if (entry.isDirectory()) out.push(...(await filesUnder(join(dir, entry.name), rel)));
    else if (entry.isFile()) out.push(rel);
  }
  return out;
}

export async function isoExpectation(config: Pick<Config, "CLUSTERCONFIG"> & { ARCH: string }, cwd: string): Promise<IsoExpectation> {
  const expectation: IsoExpectation = { arch: config.ARCH, files: [], absent: [] };
  const overlay = join(cwd, ISO_OVERLAY_DIR);
  for (const rel of await filesUnder(overlay)) expectation.files.push({ isoPath: rel, localPath: join(overlay, rel), what: `${ISO_OVERLAY_DIR}/${rel}` });

  const userData = join(cwd, "user-data");
  if (await isFile(userData)) expectation.files.push({ isoPath: USER_DATA_ON_ISO, localPath: userData, what: "user-data" });
  else expectation.absent.push({ isoPath: USER_DATA_ON_ISO, why: "the workspace has no user-data: devices would install with settings that are not yours" });

  if (config.CLUSTERCONFIG !== "") {
    const local = resolve(cwd, config.CLUSTERCONFIG);
    if (await isFile(local)) expectation.files.push({ isoPath: CLUSTER_CONFIG_ON_ISO, localPath: local, what: `CLUSTERCONFIG (${config.CLUSTERCONFIG})` });
  }

  const top = await readdir(cwd, { withFileTypes: true }).catch(() => []);
  for (const dir of top.filter((d) => d.isDirectory() && d.name.startsWith("content-")).sort((a, b) => a.name.localeCompare(b.name))) {
    for (const name of (await readdir(join(cwd, dir.name))).filter((n) => n.endsWith(".zst")).sort()) {
      const local = join(cwd, dir.name, name);
      if (await isFile(local)) expectation.files.push({ isoPath: `${CONTENT_ON_ISO}/${basename(name)}`, localPath: local, what: `the content bundle ${dir.name}/${name}` });
    }
  }
  return expectation;
}
