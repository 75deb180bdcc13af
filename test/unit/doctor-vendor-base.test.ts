// doctor's vendor base lines: only for the flavours the user is after, naming (never showing) the
// variables, and for slem whether this host is a registered SLE Micro (read from a host root the
// test lays out).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { vendorBaseChecks } from "../../src/doctor/vendor-base.js";
import { workspace } from "../support/cli.js";

describe("doctor: vendor base checks", () => {
  it("says nothing when no flavour is named and no vendor variable is set", async () => {
    expect(await vendorBaseChecks([], { HOME: "/root" }, workspace())).toEqual([]);
  });

  it("a stray variable brings its flavours in as warnings; a named flavour missing its secret is a failure", async () => {
    const checks = await vendorBaseChecks(["ubuntu-focal-fips"], { RH_ORG: "org-x" }, workspace());
    expect(checks.map((c) => [c.id, c.status])).toEqual([
      ["vendor-base-rhel8", "warning"],
      ["vendor-base-rhel8-fips", "warning"],
      ["vendor-base-ubuntu-focal-fips", "failure"],
    ]);
    expect(checks[0]?.detail).toContain("RH_ACTIVATION_KEY not set");
    expect(checks[2]?.fix).toBe("export UBUNTU_PRO_TOKEN=...");
  });

  it("set secrets are ok, their values never shown", async () => {
    const checks = await vendorBaseChecks([], { RH_USERNAME: "me@example.com", RH_PASSWORD: "pw-doctor-1" }, workspace());
    expect(checks.every((c) => c.status === "ok")).toBe(true);
    expect(JSON.stringify(checks)).not.toContain("pw-doctor-1");
    expect(JSON.stringify(checks)).not.toContain("me@example.com");
  });

  it("slem: warns off a host that is not a registered SLE Micro, ok on one", async () => {
    const env = { SLE_REGCODE: "code-doctor-1" };
    const other = workspace();
    mkdirSync(join(other, "etc"));
    writeFileSync(join(other, "etc/os-release"), "ID=debian\n");
    expect((await vendorBaseChecks([], env, other))[0]).toMatchObject({ status: "warning", detail: expect.stringContaining("not a SLE Micro host") });
    const slem = workspace();
    mkdirSync(join(slem, "etc/zypp/credentials.d"), { recursive: true });
    writeFileSync(join(slem, "etc/os-release"), 'NAME="SLE Micro"\nID="sle-micro"\n');
    expect((await vendorBaseChecks([], env, slem))[0]).toMatchObject({ status: "warning", detail: expect.stringContaining("not registered") });
    writeFileSync(join(slem, "etc/zypp/credentials.d/SCCcredentials"), "username=x\n");
    expect((await vendorBaseChecks([], env, slem))[0]).toMatchObject({ status: "ok" });
  });
});
