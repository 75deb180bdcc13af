// The step scripts that +base-image's run on Debian does not reach, each run for real in a
// container: in the real Debian image where the step needs real tools (update-ca-certificates,
// curl through a proxy to a TLS server), in busybox with recording stand-ins where the real thing
// cannot be had here (zypper, dnf, osbuilder's /entrypoint.sh; each test says which).
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { createServer as createHttpServer, type Server } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { connect, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { debianImage } from "../support/debian.js";
import { BUSYBOX, BUSYBOX_HOW, dockerAvailable, makeBusyboxBase, removeImages, requireService, uniqueImageTag } from "../support/docker.js";
import { hostTool } from "../support/services.js";
import { recorder, runInContainer } from "../support/step-container.js";
import { makePki, type TestPki } from "../support/tls.js";

const runDocker = requireService("Docker", dockerAvailable(), "install docker.io and start dockerd (.ci/run does both)");
const runBusybox = runDocker && requireService("busybox", BUSYBOX !== undefined, BUSYBOX_HOW);
const runDebian = runDocker && requireService("mmdebstrap and openssl", hostTool("mmdebstrap") !== undefined && hostTool("openssl") !== undefined, "apt-get install mmdebstrap openssl (.ci/run does)");

describe.skipIf(!runBusybox)("step scripts in busybox, with stand-ins for what cannot run here", () => {
  const busybox = uniqueImageTag("steps-busybox");
  beforeAll(() => makeBusyboxBase(busybox), 180_000);
  afterAll(() => removeImages([busybox]), 60_000);
  const LOG = "/tmp/calls.log";

  it("zypper-packages.sh locks the kernel unless UPDATE_KERNEL=true, then updates and installs the tools (stand-in: zypper)", async () => {
    const files = { "/usr/bin/zypper": recorder(LOG) };
    const held = await runInContainer(busybox, `/canvos-steps/zypper-packages.sh && cat ${LOG}`, { files, executables: ["/usr/bin/zypper"] });
    expect(held.exitCode, held.stderr).toBe(0);
    expect(held.stdout.split("\n")).toEqual([
      "zypper --non-interactive addlock kernel-de*",
      "zypper --non-interactive refresh",
      "zypper --non-interactive update",
      "zypper --non-interactive install --no-recommends zstd vim iputils bridge-utils curl tcpdump ethtool",
      "zypper --non-interactive clean --all",
    ]);
    const updated = await runInContainer(busybox, `/canvos-steps/zypper-packages.sh && cat ${LOG}`, { files, executables: ["/usr/bin/zypper"], env: { UPDATE_KERNEL: "true" } });
    expect(updated.stdout).not.toContain("addlock");
    expect(updated.stdout).toContain("zypper --non-interactive update");
  });

  it("zypper-packages.sh stops at the first failing zypper call", async () => {
    const files = { "/usr/bin/zypper": recorder(LOG, '[ "$2" = refresh ] && exit 4; exit 0') };
    const run = await runInContainer(busybox, `/canvos-steps/zypper-packages.sh; echo "exit $?"; cat ${LOG}`, { files, executables: ["/usr/bin/zypper"] });
    expect(run.stdout).toContain("exit 4");
    expect(run.stdout).not.toContain("update");
  });

  it("distribution-fixes.sh: openSUSE gets AppArmor and apparmor_parser in /usr/bin (stand-in: zypper)", async () => {
    const files = { "/usr/bin/zypper": recorder(LOG), "/sbin/apparmor_parser": "#!/bin/sh\necho parser\n" };
    const run = await runInContainer(busybox, `/canvos-steps/distribution-fixes.sh && cat ${LOG} && /usr/bin/apparmor_parser`, {
      files,
      executables: ["/usr/bin/zypper", "/sbin/apparmor_parser"],
      env: { OS_DISTRIBUTION: "opensuse-leap" },
    });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout.split("\n")).toEqual(["zypper --non-interactive install --no-recommends apparmor-parser apparmor-profiles", "zypper --non-interactive clean --all", "parser"]);
  });

  it("distribution-fixes.sh: sles gets apparmor_parser in /usr/bin and installs nothing; one already there is kept", async () => {
    const files = { "/usr/bin/zypper": recorder(LOG), "/sbin/apparmor_parser": "#!/bin/sh\necho sbin\n" };
    const run = await runInContainer(busybox, `/canvos-steps/distribution-fixes.sh && /usr/bin/apparmor_parser && test ! -e ${LOG} && echo no-zypper`, {
      files,
      executables: ["/usr/bin/zypper", "/sbin/apparmor_parser"],
      env: { OS_DISTRIBUTION: "sles" },
    });
    expect(run.stdout.split("\n")).toEqual(["sbin", "no-zypper"]);
    const kept = await runInContainer(busybox, "/canvos-steps/distribution-fixes.sh && /usr/bin/apparmor_parser", {
      files: { ...files, "/usr/bin/apparmor_parser": "#!/bin/sh\necho usr-bin\n" },
      executables: ["/usr/bin/zypper", "/sbin/apparmor_parser", "/usr/bin/apparmor_parser"],
      env: { OS_DISTRIBUTION: "sles" },
    });
    expect(kept.stdout).toBe("usr-bin");
  });

  it("distribution-fixes.sh: rhel installs openssl with dnf (or yum) only when it is missing (stand-ins: dnf, yum, openssl)", async () => {
    const managers = { "/usr/bin/dnf": recorder(LOG), "/usr/bin/yum": recorder(LOG) };
    const env = { OS_DISTRIBUTION: "rhel" };
    const missing = await runInContainer(busybox, `/canvos-steps/distribution-fixes.sh && cat ${LOG}`, { files: managers, executables: Object.keys(managers), env });
    expect(missing.stdout).toBe("dnf install -y openssl");
    const yumOnly = await runInContainer(busybox, `/canvos-steps/distribution-fixes.sh && cat ${LOG}`, { files: { "/usr/bin/yum": recorder(LOG) }, executables: ["/usr/bin/yum"], env });
    expect(yumOnly.stdout).toBe("yum install -y openssl");
    const present = await runInContainer(busybox, `/canvos-steps/distribution-fixes.sh && test ! -e ${LOG} && echo untouched`, {
      files: { ...managers, "/usr/bin/openssl": "#!/bin/sh\n" },
      executables: [...Object.keys(managers), "/usr/bin/openssl"],
      env,
    });
    expect(present.stdout).toBe("untouched");
  });

  it("luet-repo.sh points arm64 at luet-repo-arm, and leaves credentials out when there are none", async () => {
    const run = await runInContainer(busybox, "/canvos-steps/luet-repo.sh /tmp/none.yaml && cat /etc/luet/repos.conf.d/spectro.yaml", { env: { ARCH: "arm64", SPECTRO_LUET_REPO: "mirror.example.com/luet/" } });
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toContain('  - "mirror.example.com/luet/luet-repo-arm"');
    expect(run.stdout).not.toContain("auth");
  });

  it("os-release.sh keeps a plain /etc/os-release's own fields and replaces its KAIROS_ ones", async () => {
    const files = { "/etc/os-release": 'NAME="openSUSE Leap"\nID="opensuse-leap"\nKAIROS_VERSION="old"\nKAIROS_FLAVOR="old"\n', "/usr/lib/os-release.tmpl": readFileSync(new URL("../../overlay/files/usr/lib/os-release.tmpl", import.meta.url)) };
    const env = { OS_DISTRIBUTION: "opensuse-leap", OS_VERSION: "15.5", ARCH: "amd64", KAIROS_VERSION: "v2.4.5", IMAGE_REGISTRY: "ttl.sh", IMAGE_REPO: "opensuse-leap" };
    // busybox has no envsubst: a stand-in that substitutes exactly the names it is given, as gettext's does.
    const envsubst = '#!/bin/sh\nawk -v names="$1" \'BEGIN{n=split(names,a," "); for(i=1;i<=n;i++){k=a[i]; sub(/^\\$/,"",k); v[k]=ENVIRON[k]}} {for(k in v){gsub("\\\\$\\\\{" k "\\\\}", v[k])} print}\'\n';
    const run = await runInContainer(busybox, "/canvos-steps/os-release.sh && cat /etc/os-release", { files: { ...files, "/usr/bin/envsubst": envsubst }, executables: ["/usr/bin/envsubst"], env });
    expect(run.exitCode, run.stderr).toBe(0);
    const lines = run.stdout.split("\n");
    expect(lines.slice(0, 2)).toEqual(['NAME="openSUSE Leap"', 'ID="opensuse-leap"']);
    expect(lines).toContain('KAIROS_VERSION="v2.4.5"');
    expect(lines).toContain('KAIROS_FLAVOR="opensuse-leap"');
    expect(lines).toContain('KAIROS_IMAGE_LABEL="opensuse-leap-15.5-amd64"');
    expect(run.stdout).not.toContain("old");
  });

  it("install-ui.sh unpacks ui.tar into /opt/spectrocloud/emc and removes it; without it, changes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "canvos-ui-"));
    try {
      mkdirSync(join(dir, "ui"));
      writeFileSync(join(dir, "ui/index.html"), "<html>emc</html>\n");
      execFileSync("tar", ["-cf", join(dir, "ui.tar"), "-C", join(dir, "ui"), "index.html"]);
      const run = await runInContainer(busybox, "/canvos-steps/install-ui.sh /tmp/ui.tar && cat /opt/spectrocloud/emc/index.html && test ! -e /tmp/ui.tar && echo removed", { files: { "/tmp/ui.tar": readFileSync(join(dir, "ui.tar")) } });
      expect(run.stdout).toBe("<html>emc</html>\nremoved");
      const none = await runInContainer(busybox, "/canvos-steps/install-ui.sh /tmp/ui.tar && test ! -e /opt/spectrocloud && echo untouched");
      expect(none.stdout).toBe("untouched");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("build-iso.sh calls osbuilder with the ISO's name, overlay, root filesystem and osbuilder's arch name, then writes a checkable .sha256 (stand-in: /entrypoint.sh)", async () => {
    const entrypoint = `${recorder(LOG)}out=""; name=""; while [ $# -gt 0 ]; do case "$1" in --output) out=$2; shift;; --name) name=$2; shift;; esac; shift; done; mkdir -p "$out"; echo "iso of $name" > "$out/$name.iso"\n`;
    for (const [arch, isoArch] of [["amd64", "x86_64"], ["arm64", "arm64"]] as const) {
      const run = await runInContainer(busybox, `/canvos-steps/build-iso.sh /build/image /overlay /iso && cat ${LOG} && cd /iso && sha256sum -c edge.iso.sha256 && cat edge.iso.sha256`, {
        files: { "/entrypoint.sh": entrypoint },
        executables: ["/entrypoint.sh"],
        env: { ARCH: arch, ISO_NAME: "edge" },
      });
      expect(run.exitCode, run.stderr).toBe(0);
      const [call, check, sum] = run.stdout.split("\n");
      expect(call).toBe(`entrypoint.sh --name edge build-iso --date=false --overlay-iso /overlay dir:/build/image --output /iso/ --arch ${isoArch}`);
      expect(check).toBe("edge.iso: OK");
      expect(sum).toBe(`${createHash("sha256").update("iso of edge\n").digest("hex")}  edge.iso`);
    }
  });

  it("build-iso.sh fails, saying so, when osbuilder wrote no ISO or ARCH is unknown", async () => {
    const silent = await runInContainer(busybox, "/canvos-steps/build-iso.sh /build/image /overlay /iso", { files: { "/entrypoint.sh": "#!/bin/sh\nexit 0\n" }, executables: ["/entrypoint.sh"], env: { ARCH: "amd64", ISO_NAME: "edge" } });
    expect(silent.exitCode).not.toBe(0);
    expect(silent.stderr).toContain("osbuilder wrote no /iso/edge.iso");
    const unknown = await runInContainer(busybox, "/canvos-steps/build-iso.sh /build/image /overlay /iso", { files: { "/entrypoint.sh": "#!/bin/sh\n" }, executables: ["/entrypoint.sh"], env: { ARCH: "riscv64", ISO_NAME: "edge" } });
    expect(unknown.stderr).toContain("unknown ARCH=riscv64");
  });
});

describe("disable-selinux.sh, on the text Kairos boots with", () => {
  const dir = mkdtempSync(join(tmpdir(), "canvos-selinux-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const edit = (text: string): string => {
    const file = join(dir, "bootargs.cfg");
    writeFileSync(file, text);
    execFileSync("sh", [new URL("../../steps/disable-selinux.sh", import.meta.url).pathname, file]);
    return readFileSync(file, "utf8");
  };

  it.each([
    ['set kernelcmd="a security=selinux b selinux=1 c"', 'set kernelcmd="a b selinux=0 c"'],
    ['set kernelcmd="a selinux=1 security=selinux"', 'set kernelcmd="a selinux=0"'],
    ['set kernelcmd="security=selinux selinux=1"', 'set kernelcmd="selinux=0"'],
    ["security=selinux selinux=1", "selinux=0"],
    ['set kernelcmd="selinux=10 xsecurity=selinux security=selinuxfoo"', 'set kernelcmd="selinux=10 xsecurity=selinux security=selinuxfoo"'],
    ['set a="selinux=1"\nset b="x security=selinux"\n', 'set a="selinux=0"\nset b="x"\n'],
  ])("%j becomes %j", (input, output) => {
    expect(edit(input)).toBe(output);
  });

  it("does nothing, successfully, when the image has no bootargs.cfg", () => {
    expect(() => execFileSync("sh", [new URL("../../steps/disable-selinux.sh", import.meta.url).pathname, join(dir, "missing.cfg")])).not.toThrow();
  });
});

describe.skipIf(!runDebian)("helper steps in the real Debian image: CA trust and the etcd download", () => {
  let debian = "";
  let pki: TestPki;
  let other: TestPki;
  let release: Server;
  let proxy: Server;
  const connects: string[] = [];
  const requests: string[] = [];
  const version = "v3.5.13";
  const archives = new Map<string, Buffer>();
  let sums = "";

  beforeAll(async () => {
    debian = await debianImage();
    pki = makePki(["127.0.0.1"]);
    other = makePki(["127.0.0.1"]);
    // A release laid out as github.com/etcd-io's: an archive per arch with etcdctl inside, and SHA256SUMS.
    const dir = mkdtempSync(join(tmpdir(), "canvos-etcd-"));
    try {
      for (const arch of ["amd64", "arm64"]) {
        const folder = `etcd-${version}-linux-${arch}`;
        mkdirSync(join(dir, folder));
        writeFileSync(join(dir, folder, "etcdctl"), `#!/bin/sh\necho "etcdctl ${arch}"\n`);
        writeFileSync(join(dir, folder, "etcd"), "server\n");
        execFileSync("tar", ["-czf", join(dir, `${folder}.tar.gz`), "-C", dir, folder]);
        archives.set(`${folder}.tar.gz`, readFileSync(join(dir, `${folder}.tar.gz`)));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    sums = [...archives].map(([name, data]) => `${createHash("sha256").update(data).digest("hex")}  ${name}`).join("\n") + "\n";
    release = createHttpsServer({ cert: pki.serverPem, key: pki.serverKey }, (req, res) => {
      requests.push(req.url ?? "");
      const prefix = `/mirror/etcd/releases/download/${version}/`;
      const name = (req.url ?? "").startsWith(prefix) ? (req.url ?? "").slice(prefix.length) : "";
      const body = name === "SHA256SUMS" ? Buffer.from(sums) : archives.get(name);
      if (body === undefined) {
        res.writeHead(404).end("not found");
        return;
      }
      res.writeHead(200, { "content-length": body.length }).end(body);
    });
    // An HTTP proxy that only tunnels (CONNECT), as a site's HTTPS proxy does.
    proxy = createHttpServer((_req, res) => res.writeHead(405).end());
    proxy.on("connect", (req, socket) => {
      connects.push(req.url ?? "");
      const [host, port] = (req.url ?? "").split(":");
      const upstream = connect(Number(port), host ?? "127.0.0.1", () => {
        socket.write("HTTP/1.1 200 Connection Established\r\n\r\n");
        upstream.pipe(socket);
        socket.pipe(upstream);
      });
      upstream.on("error", () => socket.destroy());
      socket.on("error", () => upstream.destroy());
    });
    await Promise.all([new Promise<void>((r) => release.listen(0, "127.0.0.1", r)), new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r))]);
  }, 1_800_000);

  afterAll(async () => {
    await Promise.all([release, proxy].map((s) => new Promise((r) => (s === undefined ? r(undefined) : s.close(r)))));
  });

  const port = (server: Server): number => (server.address() as AddressInfo).port;

  /** trust-certs.sh with `cas` in /canvos-certs (as the helper runs it), then `then`. */
  const withTrust = (cas: Record<string, string>, then: string, env: Record<string, string> = {}) =>
    runInContainer(debian, `/canvos-steps/trust-certs.sh /canvos-certs >/dev/null && ${then}`, {
      files: Object.fromEntries(Object.entries(cas).map(([name, pem]) => [`/canvos-certs/${name}`, pem])),
      env,
      network: "host",
    });

  it("trust-certs.sh trusts *.crt and *.pem of the folder (update-ca-certificates), and nothing else", async () => {
    const run = await withTrust(
      { "proxy.pem": pki.caPem, "README": "not a certificate\n" },
      `ls /usr/local/share/ca-certificates && curl -sS -o /dev/null -w '%{http_code}' https://127.0.0.1:${port(release)}/mirror/etcd/releases/download/${version}/SHA256SUMS`,
    );
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toBe("canvos-proxy.crt\n200");
    const untrusted = await withTrust({ "other.crt": other.caPem }, `curl -sS https://127.0.0.1:${port(release)}/mirror/etcd/releases/download/${version}/SHA256SUMS`);
    expect(untrusted.exitCode).not.toBe(0);
  }, 300_000);

  it("download-etcdctl.sh fetches etcdctl for ARCH from ETCD_REPO through the HTTPS proxy, trusting the helper's CA, checksum checked", async () => {
    connects.length = 0;
    for (const arch of ["amd64", "arm64"]) {
      const run = await withTrust({ "proxy.crt": pki.caPem }, "/canvos-steps/download-etcdctl.sh /etcd && /etcd/etcdctl && ls /etcd", {
        ETCD_REPO: `https://127.0.0.1:${port(release)}/mirror/`,
        ETCD_VERSION: version,
        ARCH: arch,
        HTTPS_PROXY: `http://127.0.0.1:${port(proxy)}`,
        https_proxy: `http://127.0.0.1:${port(proxy)}`,
      });
      expect(run.exitCode, run.stderr).toBe(0);
      expect(run.stdout).toBe(`etcd-${version}-linux-${arch}.tar.gz: OK\netcdctl ${arch}\netcdctl`);
    }
    // Every request went through the tunnel; none around it.
    expect(connects.length).toBeGreaterThanOrEqual(4);
    expect(new Set(connects)).toEqual(new Set([`127.0.0.1:${port(release)}`]));
  }, 300_000);

  it("download-etcdctl.sh refuses an archive whose checksum does not match, and one the release does not list", async () => {
    const good = sums;
    try {
      sums = sums.replace(/^[0-9a-f]{8}/m, "00000000");
      const bad = await withTrust({ "proxy.crt": pki.caPem }, "/canvos-steps/download-etcdctl.sh /etcd; echo \"exit $?\"; ls /etcd 2>&1", {
        ETCD_REPO: `https://127.0.0.1:${port(release)}/mirror`,
        ETCD_VERSION: version,
        ARCH: "amd64",
      });
      expect(bad.stdout).toMatch(/exit [1-9]/);
      expect(bad.stdout).toContain("No such file or directory");
      sums = "";
      const unlisted = await withTrust({ "proxy.crt": pki.caPem }, "/canvos-steps/download-etcdctl.sh /etcd", { ETCD_REPO: `https://127.0.0.1:${port(release)}/mirror`, ETCD_VERSION: version, ARCH: "amd64" });
      expect(unlisted.exitCode).not.toBe(0);
      expect(unlisted.stderr).toContain("is not listed in");
    } finally {
      sums = good;
    }
  }, 300_000);
});
