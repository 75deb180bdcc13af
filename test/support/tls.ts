// A throw-away certificate authority and a server certificate it signed, made with openssl, for
// tests that check a CA really is trusted (openssl verify, curl against a local TLS server).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execFileSync } from "node:child_process";

export interface TestPki {
  caPem: string;
  serverPem: string;
  serverKey: string;
}

/** A CA, and a certificate for `hosts` (DNS names or IP addresses) signed by it. */
export function makePki(hosts: readonly string[] = ["localhost", "127.0.0.1"]): TestPki {
  const dir = mkdtempSync(join(tmpdir(), "canvos-pki-"));
  try {
    const run = (args: string[]): void => {
      execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
    };
    run(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=canvos test CA"]);
    run(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=canvos test server"]);
    const san = hosts.map((h) => (/^[\d.]+$/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(",");
    writeFileSync(join(dir, "ext.cnf"), `subjectAltName=${san}\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n`);
    run(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf"]);
    return { caPem: readFileSync(join(dir, "ca.pem"), "utf8"), serverPem: readFileSync(join(dir, "server.pem"), "utf8"), serverKey: readFileSync(join(dir, "server.key"), "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
