// Files the configuration names from outside the workspace (PROXY_CERT_PATH=/etc/ssl/proxy.pem,
// CLUSTERCONFIG anywhere): Earthly COPYs only from its build context, so canvos stages them into
// .canvos-stage/ for the run and passes that relative path; files inside pass as they are.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canvos, ROOT, workspace } from "../support/cli.js";
import { pathWithFake, readRecord, writeArg } from "../support/fake-earthly.js";
import { wrapStandIn } from "../robustness/support.js";

const CERT = join(ROOT, "test", "fixtures", "certs", "test-ca.pem");

function setup(): { cwd: string; side: string; record: string; env: Record<string, string> } {
  const cwd = workspace("canvos-stage-");
  const side = workspace("canvos-stage-side-");
  const record = join(side, "record.json");
  // While Earthly runs: keep a copy of what it would COPY from the stage (canvos removes the stage after the run).
  const bin = wrapStandIn(side, { before: `[ -d .canvos-stage ] && cp -r .canvos-stage '${side}/seen' || true` });
  // The docker stand-in records instead of starting the proxy-mode BuildKit helper.
  const env = { PATH: pathWithFake(), CANVOS_EARTHLY_BIN: bin, FAKE_EARTHLY_RECORD: record, FAKE_DOCKER_LOG: join(side, "docker.jsonl") };
  return { cwd, side, record, env };
}

describe("files from outside the workspace are staged into it", () => {
  it("an absolute PROXY_CERT_PATH outside the workspace: Earthly gets .canvos-stage/proxy-ca.crt, same content", async () => {
    const { cwd, side, record, env } = setup();
    const outside = join(side, "etc-ssl");
    mkdirSync(outside);
    copyFileSync(CERT, join(outside, "proxy.pem"));
    writeArg(cwd, `CUSTOM_TAG=demo\nPROXY_CERT_PATH=${join(outside, "proxy.pem")}\n`);
    const r = await canvos(["iso"], { cwd, env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const rec = readRecord(record);
    expect(rec.argv).toContain("--PROXY_CERT_PATH=.canvos-stage/proxy-ca.crt");
    expect(rec.buildArgs["PROXY_CERT_PATH"]).toBe(".canvos-stage/proxy-ca.crt");
    expect(readFileSync(join(side, "seen", "proxy-ca.crt"), "utf8")).toBe(readFileSync(CERT, "utf8"));
    // The stage lives for the run only; the log says what was staged.
    expect(existsSync(join(cwd, ".canvos-stage"))).toBe(false);
  });

  it("the dry run shows the staged path Earthly will get", async () => {
    const { cwd, side, env } = setup();
    copyFileSync(CERT, join(side, "proxy.pem"));
    writeArg(cwd, `PROXY_CERT_PATH=${join(side, "proxy.pem")}\n`);
    const r = await canvos(["iso", "--dry-run", "--json"], { cwd, env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    const plan = JSON.parse(String(r.stdout)) as { argv: string[]; buildArgs: Record<string, string> };
    expect(plan.buildArgs["PROXY_CERT_PATH"]).toBe(".canvos-stage/proxy-ca.crt");
    expect(plan.argv).toContain("--PROXY_CERT_PATH=.canvos-stage/proxy-ca.crt");
    expect(existsSync(join(cwd, ".canvos-stage")), "a dry run copies nothing").toBe(false);
  });

  it("a relative PROXY_CERT_PATH inside the workspace passes through as written, nothing staged", async () => {
    const { cwd, side, record, env } = setup();
    mkdirSync(join(cwd, "certs"));
    copyFileSync(CERT, join(cwd, "certs", "proxy.pem"));
    writeArg(cwd, "PROXY_CERT_PATH=certs/proxy.pem\n");
    const r = await canvos(["iso"], { cwd, env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(readRecord(record).argv).toContain("--PROXY_CERT_PATH=certs/proxy.pem");
    expect(existsSync(join(side, "seen"))).toBe(false);
  });

  it("an absolute path inside the workspace is passed relative", async () => {
    const { cwd, record, env } = setup();
    copyFileSync(CERT, join(cwd, "proxy.pem"));
    writeArg(cwd, `PROXY_CERT_PATH=${join(cwd, "proxy.pem")}\n`);
    const r = await canvos(["iso"], { cwd, env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(readRecord(record).argv).toContain("--PROXY_CERT_PATH=proxy.pem");
  });

  it("CLUSTERCONFIG outside the workspace: staged as .canvos-stage/spc.tgz for the ISO", async () => {
    const { cwd, side, record, env } = setup();
    const spc = Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]);
    writeFileSync(join(side, "my-cluster.tgz"), spc);
    writeArg(cwd, `CLUSTERCONFIG=${join(side, "my-cluster.tgz")}\n`);
    const r = await canvos(["iso"], { cwd, env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(readRecord(record).argv).toContain("--CLUSTERCONFIG=.canvos-stage/spc.tgz");
    expect(readFileSync(join(side, "seen", "spc.tgz")).equals(spc)).toBe(true);
  });

  it("a missing file the build needs: exit 2 before anything runs, the parameter named", async () => {
    const { cwd, side, record, env } = setup();
    writeArg(cwd, `PROXY_CERT_PATH=${join(side, "nope.pem")}\nCLUSTERCONFIG=${join(side, "nope.tgz")}\n`);
    const r = await canvos(["iso"], { cwd, env });
    expect(r.exitCode, String(r.stderr)).toBe(2);
    expect(r.stderr).toMatch(/^\.arg:1: error: PROXY_CERT_PATH: .*nope\.pem: no such file or folder/m);
    expect(r.stderr).not.toMatch(/CLUSTERCONFIG: error/);
    expect(existsSync(record), "Earthly ran").toBe(false);
    expect(existsSync(join(cwd, ".canvos"))).toBe(false);
  });

  it("CLUSTERCONFIG naming a missing file (the reference template's spc.tgz): a warning, and the ISO is built without it", async () => {
    const { cwd, record, env } = setup();
    writeArg(cwd, "CUSTOM_TAG=demo\nCLUSTERCONFIG=spc.tgz\n");
    const warning = 'spc.tgz does not exist; the ISO is built without a cluster definition (canvos passes CLUSTERCONFIG="" to the build)';
    for (const args of [["validate"], ["iso", "--dry-run"], ["build-all", "--dry-run"]]) {
      const r = await canvos(args, { cwd, env });
      expect(r.exitCode, `${args.join(" ")}: ${String(r.stderr)}`).toBe(0);
      expect(String(r.stdout) + String(r.stderr), args.join(" ")).toMatch(/CLUSTERCONFIG: (warning: )?spc\.tgz does not exist/);
      expect(String(r.stdout) + String(r.stderr), args.join(" ")).toContain(warning);
    }
    const plan = await canvos(["iso", "--dry-run", "--json"], { cwd, env });
    expect((JSON.parse(String(plan.stdout)) as { buildArgs: Record<string, string> }).buildArgs["CLUSTERCONFIG"]).toBe("");
    const r = await canvos(["iso"], { cwd, env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(r.stderr).toContain(warning);
    expect(readRecord(record).argv).toContain("--CLUSTERCONFIG=");
  });

  it("CLUSTERCONFIG missing for a build without the ISO: not needed, not an error", async () => {
    const { cwd, side, env } = setup();
    writeArg(cwd, `CLUSTERCONFIG=${join(side, "nope.tgz")}\n`);
    const r = await canvos(["provider", "--k8s-version", "1.27.2"], { cwd, env });
    expect(r.exitCode, String(r.stderr)).toBe(0);
  });
});
