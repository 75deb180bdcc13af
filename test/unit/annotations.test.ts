import { describe, expect, it } from "vitest";
import { locationOf } from "../../src/errors.js";
import { annotation, annotationsWanted, problemAnnotation } from "../../src/report/annotations.js";

const env = { GITHUB_ACTIONS: "true", GITHUB_WORKSPACE: "/repo" };

describe("GitHub Actions annotations", () => {
  it("are wanted only inside a GitHub workflow", () => {
    expect(annotationsWanted({ GITHUB_ACTIONS: "true" })).toBe(true);
    expect(annotationsWanted({})).toBe(false);
    expect(annotationsWanted({ GITHUB_ACTIONS: "false", CI: "true" })).toBe(false);
  });

  it("escape what would end the message or a property, as actions/toolkit does", () => {
    expect(annotation("error", "50% done\nnext line\r", { env })).toBe("::error::50%25 done%0Anext line%0D");
    expect(annotation("warning", "m", { title: "a:b,c", env })).toBe("::warning title=a%3Ab%2Cc::m");
  });

  it("name files relative to the repository, with line and column", () => {
    expect(annotation("error", "bad", { at: { file: "/repo/edge/.arg", line: 7 }, env })).toBe("::error file=edge/.arg,line=7::bad");
    expect(annotation("error", "failed", { at: { file: "/repo/Earthfile", line: 42, column: 4 }, title: "canvos", env })).toBe("::error file=Earthfile,line=42,col=4,title=canvos::failed");
  });

  it("put a problem on its file and line when it has them, and title it by where otherwise", () => {
    expect(locationOf(".arg:7")).toEqual({ file: ".arg", line: 7, column: undefined });
    expect(locationOf("Earthfile:42:4")).toEqual({ file: "Earthfile", line: 42, column: 4 });
    expect(locationOf("--ARCH")).toBeUndefined();
    expect(locationOf("IMAGE_REGISTRY")).toBeUndefined();
    expect(problemAnnotation({ where: "--ARCH", message: "not one of amd64, arm64", severity: "error" }, env)).toBe("::error title=--ARCH::not one of amd64, arm64");
    expect(problemAnnotation({ where: "/repo/user-data:3", message: "no stylus section", severity: "warning" }, env)).toBe("::warning file=user-data,line=3::no stylus section");
  });
});
