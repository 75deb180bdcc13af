import { readFileSync, writeFileSync, mkdirSync, existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canvos, workspace, ROOT } from "../support/cli.js";

const noStack = (text: string) => expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);

describe("canvos validate", () => {
  it("works with no .arg: defaults, a one-line notice, exit 0", async () => {
    const cwd = workspace();
    const r = await canvos(["validate"], { cwd });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^  ARCH +amd64 +\(default\)$/m);
    expect(r.stderr).toContain(".arg: warning: no .arg file here; using the built-in defaults");
  });

  it("reports every problem at once, compiler style, exit 2, no stack trace", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, ".arg"), "\uFEFFexport OS_DISTRIBUTION=ubuntoo\r\nIMAGE_REPO=$OS_DISTRIBUTION\r\nARHC=arm64\r\nCUSTOM_TAG=ok # comment\r\nFIPS_ENABLED=TRUE\r\n");
    const r = await canvos(["validate", "--K8S_DISTRIBUTION=k3z", "--archh", "arm64"], { cwd });
    expect(r.exitCode).toBe(2);
    const lines = r.stderr.split("\n");
    expect(lines).toContain('.arg:1: error: OS_DISTRIBUTION: "ubuntoo" is not one of ubuntu, opensuse-leap, rhel, sles (did you mean "ubuntu"?)');
    expect(lines).toContain('.arg:3: error: unknown parameter ARHC (did you mean "ARCH"?); Earthly would silently ignore it');
    expect(lines).toContain('.arg:5: error: FIPS_ENABLED: "TRUE" is not a boolean: use true or false (did you mean "true"?)');
    expect(lines).toContain('--K8S_DISTRIBUTION: error: K8S_DISTRIBUTION: "k3z" is not one of k3s, rke2, kubeadm, kubeadm-fips (did you mean "k3s"?)');
    expect(lines).toContain('--archh: error: unknown option (did you mean "--arch"?)');
    noStack(r.stderr);
    // Every value is still shown, the wrong ones as given and marked.
    expect(r.stdout).toMatch(/^  OS_DISTRIBUTION +ubuntoo +\.arg:1 +invalid: "ubuntoo" is not one of ubuntu, opensuse-leap, rhel, sles/m);
    expect(r.stdout).toMatch(/^  K8S_DISTRIBUTION +k3z +--K8S_DISTRIBUTION +invalid: /m);
    expect(r.stdout).toMatch(/^  CUSTOM_TAG +ok +\.arg:4$/m);
  });

  it("shows each value's source and masks proxy passwords", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, ".arg"), "CUSTOM_TAG=edge\nHTTP_PROXY=http://bob:hunter2@proxy.example.com:3128\n");
    const r = await canvos(["validate", "--registry", "registry.example.com"], { cwd, env: { HTTPS_PROXY: "http://alice:pw2@proxy:3128" } });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^  CUSTOM_TAG +edge +\.arg:1$/m);
    expect(r.stdout).toMatch(/^  IMAGE_REGISTRY +registry\.example\.com +--registry$/m);
    expect(r.stdout).toMatch(/^  HTTPS_PROXY +http:\/\/alice:\*\*\*\*@proxy:3128 +\$HTTPS_PROXY$/m);
    expect(r.stdout).toContain("http://bob:****@proxy.example.com:3128");
    expect(r.stdout + r.stderr).not.toContain("hunter2");
    expect(r.stdout + r.stderr).not.toContain("pw2");
  });

  it("--json prints one object a CI system can read, also when invalid", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, "ci.arg"), "ARCH=amd64\nHTTP_PROXY=http://u:secretpw@p:1\n");
    const ok = await canvos(["validate", "--arg-file", "ci.arg", "--json"], { cwd });
    expect(ok.exitCode).toBe(0);
    const data = JSON.parse(ok.stdout) as { valid: boolean; parameters: Array<{ name: string; value: string; from: string }> };
    expect(data.valid).toBe(true);
    expect(data.parameters.find((p) => p.name === "ARCH")).toEqual({ name: "ARCH", value: "amd64", source: "file", from: "ci.arg:1" });
    expect(ok.stdout).not.toContain("secretpw");

    writeFileSync(join(cwd, "ci.arg"), "ARCH=x86\n");
    const bad = await canvos(["validate", "--arg-file", "ci.arg", "--json"], { cwd });
    expect(bad.exitCode).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ valid: false, problems: [{ where: "ci.arg:1", severity: "error" }] });
  });

  it("refuses a directory, binary garbage, an unterminated quote and a 10 MB file without a stack trace", async () => {
    const cwd = workspace();
    mkdirSync(join(cwd, "dir.arg"));
    writeFileSync(join(cwd, "bin.arg"), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 1, 2, 0xff]));
    writeFileSync(join(cwd, "quote.arg"), 'ARCH=amd64\nCUSTOM_TAG="open\n');
    writeFileSync(join(cwd, "big.arg"), Buffer.alloc(10 * 1024 * 1024, "A=1\n"));
    const expectations: Array<[string, string]> = [
      ["dir.arg", "is a directory"],
      ["bin.arg", "not a text file"],
      ["quote.arg", "quote.arg:2: error: CUSTOM_TAG: unterminated double quote"],
      ["big.arg", "10.0 MiB"],
    ];
    for (const [file, message] of expectations) {
      const r = await canvos(["validate", "--arg-file", file], { cwd });
      expect(r.exitCode, file).toBe(2);
      expect(r.stderr, file).toContain(message);
      noStack(r.stderr);
    }
  });

  it("checks user-data, the proxy certificate, the cluster definition and luet credentials", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, "user-data"), readFileSync(join(ROOT, "user-data.template")));
    writeFileSync(join(cwd, "proxy.pem"), "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
    writeFileSync(join(cwd, "spectro-luet-auth.yaml"), "auth:\n  username: bob\n  password: pa55word\n");
    writeFileSync(join(cwd, ".arg"), "PROXY_CERT_PATH=proxy.pem\nCLUSTERCONFIG=missing-spc.tgz\n");
    const r = await canvos(["validate"], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/^user-data:\d+: error: stylus\.site\.edgeHostToken still holds a template placeholder/m);
    expect(r.stderr).toMatch(/^user-data:\d+: error: users\.0\.passwd still holds the template placeholder ####/m);
    // A file named in the arg file is reported at the line that names it.
    expect(r.stderr).toContain(".arg:1: error: PROXY_CERT_PATH: proxy.pem holds a PEM block that is not a valid X.509 certificate");
    expect(r.stderr).toContain(".arg:2: warning: CLUSTERCONFIG: missing-spc.tgz does not exist");
    expect(r.stderr).toContain("spectro-luet-auth.yaml: error: auth.serveraddress is missing or empty");
    expect(r.stdout + r.stderr).not.toContain("pa55word");
  });

  it("accepts a filled-in user-data and a real CA certificate", async () => {
    const cwd = workspace();
    // A committed test CA: no openssl needed on the machine.
    writeFileSync(join(cwd, "ca.pem"), readFileSync(join(ROOT, "test/fixtures/certs/test-ca.pem")));
    writeFileSync(join(cwd, "user-data"), "#cloud-config\nstylus:\n  site:\n    paletteEndpoint: api.spectrocloud.com\n    edgeHostToken: realtoken123\n");
    writeFileSync(join(cwd, ".arg"), "PROXY_CERT_PATH=ca.pem\nHTTPS_PROXY=http://proxy:3128\n");
    const r = await canvos(["validate"], { cwd });
    expect(r.stderr).toContain("configuration valid");
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/proxy CA certificate +ca\.pem +ok +CN=canvos test proxy CA/);
  });

  it("refuses user-data that is not cloud-config YAML, with the line", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, "user-data"), "stylus:\n  site: [unclosed\n");
    const r = await canvos(["validate"], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("user-data:1: error: the first line must be #cloud-config");
    expect(r.stderr).toMatch(/user-data:\d+: error: invalid YAML/);
  });
});

describe("canvos validate with the workspace's Earthfile", () => {
  it("accepts an ARG the user added to the Earthfile and refuses one it lost", async () => {
    const cwd = workspace();
    const earthfile = readFileSync(join(ROOT, "Earthfile"), "utf8");
    writeFileSync(join(cwd, "Earthfile"), earthfile.replace(/^ARG --global CLUSTERCONFIG=.*$/m, "ARG --global MY_PACKAGES=") );
    writeFileSync(join(cwd, ".arg"), "MY_PACKAGES=htop\nCLUSTERCONFIG=spc.tgz\n");
    const r = await canvos(["validate", "--json"], { cwd });
    expect(r.exitCode).toBe(2);
    const data = JSON.parse(r.stdout) as { problems: Array<{ where: string; message: string; severity: string }> };
    expect(data.problems.filter((p) => p.severity === "error").map((p) => `${p.where}: ${p.message}`)).toEqual([
      ".arg:2: CLUSTERCONFIG is not declared by Earthfile; Earthly would silently drop its value",
    ]);

    writeFileSync(join(cwd, ".arg"), "MY_PACKAGES=htop\n");
    const ok = await canvos(["validate"], { cwd });
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout).toMatch(/^  MY_PACKAGES +htop +\.arg:1$/m);
  });
});

describe("canvos init", () => {
  it("writes .arg from the template with the flags filled in, and the result validates", async () => {
    const cwd = workspace();
    const r = await canvos(["init", "--registry", "registry.example.com/edge", "--tag", "prod", "--K8S_DISTRIBUTION=rke2"], { cwd });
    expect(r.exitCode).toBe(0);
    const arg = readFileSync(join(cwd, ".arg"), "utf8");
    expect(arg).toMatch(/^IMAGE_REGISTRY=registry\.example\.com\/edge$/m);
    expect(arg).toMatch(/^CUSTOM_TAG=prod$/m);
    expect(arg).toMatch(/^K8S_DISTRIBUTION=rke2$/m);
    expect(arg).toMatch(/^IMAGE_REPO=\$OS_DISTRIBUTION$/m);
    const v = await canvos(["validate", "--json"], { cwd });
    expect(v.exitCode).toBe(0);
    const params = (JSON.parse(v.stdout) as { parameters: Array<{ name: string; value: string }> }).parameters;
    expect(params.find((p) => p.name === "IMAGE_REPO")?.value).toBe("ubuntu");
    expect(params.find((p) => p.name === "K8S_DISTRIBUTION")?.value).toBe("rke2");
  });

  it("in a workspace keeps what is there, says so, and --user-data alone adds user-data beside the .arg", async () => {
    const cwd = workspace();
    writeFileSync(join(cwd, ".arg"), "CUSTOM_TAG=mine\n");
    writeFileSync(join(cwd, "Earthfile"), "VERSION 0.8\n# mine\n");
    const r = await canvos(["init", "--user-data"], { cwd });
    expect(r.exitCode).toBe(0);
    expect(r.stderr).toMatch(/^wrote Dockerfile, steps\/ \(\d+ files\), overlay\/ \(\d+ files\), k8s_version\.json, .*user-data$/m);
    expect(r.stderr).toContain("kept what was already here: Earthfile, .arg (canvos init --force replaces them with the package's)");
    expect(readFileSync(join(cwd, ".arg"), "utf8")).toBe("CUSTOM_TAG=mine\n");
    expect(readFileSync(join(cwd, "Earthfile"), "utf8")).toBe("VERSION 0.8\n# mine\n");
    expect(readFileSync(join(cwd, "user-data"), "utf8")).toMatch(/^#cloud-config/);
    expect(statSync(join(cwd, "user-data")).mode & 0o777).toBe(0o600);

    // Values for an .arg that is kept would be lost: refused, nothing written.
    writeFileSync(join(cwd, "user-data"), "#cloud-config\n# mine\n");
    const values = await canvos(["init", "--tag", "prod"], { cwd });
    expect(values.exitCode).toBe(2);
    expect(values.stderr).toContain("--tag: error: CUSTOM_TAG was not written: .arg is kept as it is");
    expect(readFileSync(join(cwd, ".arg"), "utf8")).toBe("CUSTOM_TAG=mine\n");

    const forced = await canvos(["init", "--user-data", "--force", "--tag", "prod"], { cwd });
    expect(forced.exitCode).toBe(0);
    expect(forced.stderr).not.toContain("kept");
    expect(readFileSync(join(cwd, ".arg"), "utf8")).toMatch(/^CUSTOM_TAG=prod$/m);
    expect(readFileSync(join(cwd, "Earthfile"), "utf8")).toBe(readFileSync(join(ROOT, "Earthfile"), "utf8"));
    expect(readFileSync(join(cwd, "user-data"), "utf8")).toBe(readFileSync(join(ROOT, "user-data.template"), "utf8"));
  });

  it("writes nothing when the values given are invalid", async () => {
    const cwd = workspace();
    const r = await canvos(["init", "--arch", "arm64"], { cwd });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("--arch: error: ARCH: arm64 builds need BASE_IMAGE");
    expect(existsSync(join(cwd, ".arg"))).toBe(false);
  });
});

describe("canvos versions", () => {
  it("prints the matrix as JSON, equal to k8s_version.json", async () => {
    const cwd = workspace();
    const r = await canvos(["versions", "--json"], { cwd });
    expect(r.exitCode).toBe(0);
    const file = JSON.parse(readFileSync(join(ROOT, "k8s_version.json"), "utf8")) as { standard: unknown; fips: unknown };
    expect(JSON.parse(r.stdout)).toEqual({ standard: file.standard, fips: file.fips });
  });

  it("prints it for people", async () => {
    const r = await canvos(["versions"], { cwd: workspace() });
    expect(r.stdout).toContain("Standard builds\n  k3s\n    1.24.6  1.25.2");
    expect(r.stdout).toContain("FIPS builds (FIPS_ENABLED=true)\n  kubeadm-fips\n    1.24.13");
  });
});

describe("help and version", () => {
  it("--version prints the package version", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
    const r = await canvos(["--version"], { cwd: workspace() });
    expect(r.stdout.trim()).toBe(pkg.version);
    expect(r.exitCode).toBe(0);
  });

  it("every command's --help has examples", async () => {
    for (const command of ["validate", "init", "versions"]) {
      const r = await canvos([command, "--help"], { cwd: workspace() });
      expect(r.exitCode, command).toBe(0);
      expect(r.stdout, command).toContain("Examples:");
    }
  });

  it("a usage error inside a command exits 2, like any other usage error", async () => {
    const r = await canvos(["validate", "--arg-file"], { cwd: workspace() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("option '--arg-file <path>' argument missing");
  });

  it("an unknown command exits 2 with a suggestion", async () => {
    const r = await canvos(["valdate"], { cwd: workspace() });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain("validate");
  });
});
