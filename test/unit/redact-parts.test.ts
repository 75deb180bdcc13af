// The redact list takes the part of each build arg that maskValue hides, nothing more or less.
import { describe, expect, it } from "vitest";
import { sensitiveParts } from "../../src/build/run-build.js";

describe("sensitiveParts", () => {
  it("a proxy URL's password, not its user or host", () => {
    expect(sensitiveParts({ HTTP_PROXY: "http://bob:hunter2@proxy:3128", ARCH: "amd64" })).toEqual(["hunter2"]);
  });

  it("a password that ends like the mask still comes out whole", () => {
    expect(sensitiveParts({ HTTPS_PROXY: "http://bob:pa**@proxy:3128" })).toEqual(["pa**"]);
  });

  it("percent-encoded userinfo: both forms", () => {
    expect(sensitiveParts({ HTTPS_PROXY: "http://bob:p%40ss@proxy" })).toEqual(["p%40ss", "p@ss"]);
  });

  it("a secret-named arg: the whole value; a proxy without a password: nothing", () => {
    expect(sensitiveParts({ MY_TOKEN: "abc123", HTTP_PROXY: "http://proxy:3128" })).toEqual(["abc123"]);
  });
});
