import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { declaredArgNames, evaluateCondition, evaluateTarget, expandTag, readEarthfile } from "../../src/earthfile/reader.js";

const sample = `VERSION 0.8
# a comment before the globals
ARG --global REGISTRY=ttl.sh
ARG --global --required NAME = "demo app"
ARG --global EMPTY=

build:
    FROM alpine:3.20
    ARG VERSIONS=1,2
    ARG --required VERSION
    # a comment inside a recipe
    RUN echo one && \\
        # a comment between continuation lines
        echo two
    COPY --if-exists --keep-own a.txt b/*.zst /dest/
    COPY (+helper/bin --MODE=fast) /usr/bin/
    IF [ "$VERSION" = "1" ]
        LET tag=one
        SAVE IMAGE --push $REGISTRY/app:$tag
    ELSE IF [ -n "$VERSION" ]
        IF [ "$NAME" != "" ]
            BUILD --platform=linux/arm64 +helper --MODE=slow --MODE=fast --FLAG
        END
    ELSE
        SAVE ARTIFACT /out/app.bin bin AS LOCAL build/app.bin
    END
    FOR v IN $(echo a b)
        BUILD +helper --V=$v
    END
    DO +SHARED --X=1
    SAVE ARTIFACT /out/*

helper:
    FROM +build
    FROM DOCKERFILE --build-arg BASE=$REGISTRY/base:1 -f +ctx/Dockerfile --platform linux/amd64 +ctx
    ARG MODE

SHARED:
    FUNCTION
    ARG X
    RUN echo $X
`;

describe("readEarthfile", () => {
  const model = readEarthfile(sample);

  it("reads VERSION, global ARGs with flags, spaces around = and quotes", () => {
    expect(model.version).toBe("0.8");
    expect(model.problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(model.globalArgs).toEqual([
      { name: "REGISTRY", default: "ttl.sh", required: false, global: true, line: 3 },
      { name: "NAME", default: "demo app", required: true, global: true, line: 4 },
      { name: "EMPTY", default: "", required: false, global: true, line: 5 },
    ]);
  });

  it("reads targets and functions in order, with their first line", () => {
    expect([...model.targets.keys()]).toEqual(["build", "helper", "SHARED"]);
    expect(model.targets.get("build")?.line).toBe(7);
    expect(model.targets.get("build")?.kind).toBe("target");
    expect(model.targets.get("SHARED")?.kind).toBe("function");
    expect(model.targets.get("SHARED")?.args.map((a) => a.name)).toEqual(["X"]);
  });

  it("joins continuation lines and skips comments inside them", () => {
    const run = model.targets.get("build")?.runs[0];
    expect(run).toEqual({ command: "echo one && echo two", flags: [], line: 12 });
  });

  it("collects commands inside IF, ELSE IF, nested IF, ELSE and FOR blocks", () => {
    const build = model.targets.get("build");
    expect(build?.args.map((a) => [a.name, a.default, a.required])).toEqual([
      ["VERSIONS", "1,2", false],
      ["VERSION", undefined, true],
    ]);
    expect(build?.vars).toEqual([{ kind: "let", name: "tag", value: "one", line: 18 }]);
    expect(build?.saveImages).toEqual([{ refs: ["$REGISTRY/app:$tag"], push: true, line: 19 }]);
    expect(build?.builds).toEqual([
      { target: "+helper", args: { MODE: ["slow", "fast"], FLAG: [""] }, flags: ["--platform=linux/arm64"], line: 22 },
      { target: "+helper", args: { V: ["$v"] }, flags: [], line: 28 },
    ]);
    expect(build?.saveArtifacts).toEqual([
      { src: "/out/app.bin", dest: "bin", local: "build/app.bin", flags: [], line: 25 },
      { src: "/out/*", flags: [], line: 31 },
    ]);
    expect(build?.dos).toEqual([{ target: "+SHARED", line: 30 }]);
    const ifNode = build?.body.find((n) => n.kind === "if");
    expect(ifNode?.kind === "if" ? ifNode.branches.map((b) => b.condition) : []).toEqual(['[ "$VERSION" = "1" ]', '[ -n "$VERSION" ]', null]);
  });

  it("reads COPY flags, wildcard and parenthesised artifact sources", () => {
    expect(model.targets.get("build")?.copies).toEqual([
      { sources: ["a.txt", "b/*.zst"], dest: "/dest/", flags: ["--if-exists", "--keep-own"], ifExists: true, line: 15 },
      { sources: ["(+helper/bin --MODE=fast)"], dest: "/usr/bin/", flags: [], ifExists: false, line: 16 },
    ]);
  });

  it("tells image, target and Dockerfile FROMs apart", () => {
    expect(model.targets.get("build")?.froms).toEqual([{ kind: "image", ref: "alpine:3.20", args: {}, line: 8 }]);
    expect(model.targets.get("helper")?.froms).toEqual([
      { kind: "target", ref: "+build", args: {}, line: 34 },
      { kind: "dockerfile", ref: "+ctx", dockerfile: "+ctx/Dockerfile", platform: "linux/amd64", args: { BASE: ["$REGISTRY/base:1"] }, line: 35 },
    ]);
  });

  it("declaredArgNames: globals, the target's own and those reached through BUILD/FROM/COPY/DO", () => {
    expect([...declaredArgNames(model)].sort()).toEqual(["EMPTY", "MODE", "NAME", "REGISTRY", "VERSION", "VERSIONS", "X"]);
    expect([...declaredArgNames(model, "+helper")].sort()).toEqual(["EMPTY", "MODE", "NAME", "REGISTRY", "VERSION", "VERSIONS", "X"]);
    expect([...declaredArgNames(model, "SHARED")].sort()).toEqual(["EMPTY", "NAME", "REGISTRY", "X"]);
    expect([...declaredArgNames(model, "missing")].sort()).toEqual(["EMPTY", "NAME", "REGISTRY"]);
  });

  it("evaluates LET/SET under IF branches for given values", () => {
    const one = evaluateTarget(model, "build", { VERSION: "1" });
    expect(one.saveImages).toEqual([{ refs: ["ttl.sh/app:one"], push: true, line: 19 }]);
    expect(one.builds.map((b) => b.target)).toEqual([]);
    const two = evaluateTarget(model, "build", { VERSION: "2", REGISTRY: "reg.local" });
    expect(two.saveImages).toEqual([]);
    expect(two.builds).toEqual([{ target: "+helper", args: { MODE: "fast" }, line: 22 }]);
    expect(two.problems.map((p) => p.message)).toContain("shell-out not evaluated: $(echo a b)");
    const none = evaluateTarget(model, "build", { VERSION: "" });
    expect(none.saveImages).toEqual([]);
    expect(none.runs).toContain("echo $X");
  });
});

describe("readEarthfile problems", () => {
  const problemsOf = (text: string): string[] => readEarthfile(text, "E").problems.map((p) => `${p.where} ${p.severity}: ${p.message}`);

  it("reports a missing VERSION, unbalanced blocks, duplicates and unknown commands", () => {
    const text = ["t:", "    IF [ 1 ]", "    RUN x", "u:", "    END", "    ELSE", "    FROB x", "    ARG A", "    ARG A", "t:", "    RUN y"].join("\n");
    expect(problemsOf(text).sort()).toEqual([
      "E:1 error: the Earthfile must start with VERSION",
      "E:5 error: END without IF, FOR, WITH, WAIT or TRY",
      "E:6 error: ELSE without IF",
      "E:7 warning: unknown command FROB (skipped)",
      "E:9 error: ARG A is declared twice in u",
      "E:2 error: IF without END",
      "E:10 error: target t is defined twice",
    ].sort());
    expect(problemsOf("RUN x\n")).toContain("E:1 error: the Earthfile must start with VERSION");
  });

  it("reports an empty file, a non-global base ARG and an unindented recipe line", () => {
    expect(problemsOf("")).toEqual(["E:1 error: the Earthfile is empty"]);
    expect(problemsOf("VERSION 0.8\nARG X=1\n")).toEqual(["E:2 warning: ARG X outside a target needs --global to reach targets"]);
    expect(problemsOf("VERSION 0.8\nt:\nRUN x\n")).toEqual(["E:3 error: RUN must be indented under target t"]);
  });

  it("accepts CRLF line ends and a file ending in a continuation", () => {
    const model = readEarthfile("VERSION 0.8\r\nt:\r\n    RUN a \\\r\n        b \\");
    expect(model.problems).toEqual([]);
    expect(model.targets.get("t")?.runs[0]?.command).toBe("a b");
  });

  it("never throws, whatever the input", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("A", "R", "G", "I", "F", "E", "N", "D", " ", "\n", "\\", "=", "+", ":", "$", "(", ")", '"', "'", "#", "-", "t") }), (text) => {
        const model = readEarthfile(`VERSION 0.8\n${text}`);
        for (const name of model.targets.keys()) evaluateTarget(model, name, {});
        declaredArgNames(model, "t");
      }),
      { numRuns: 300 },
    );
  });
});

describe("expandTag", () => {
  const values = { A: "a", EMPTY: "", B: "b" };
  it.each([
    ["$A-$B", "a-b"],
    ["${A}x", "ax"],
    ["$MISSING.", "."],
    ["pre${EMPTY:+-$EMPTY}", "pre"],
    ["pre${A:+-$A}", "pre-a"],
    ["${EMPTY:-$B}", "b"],
    ["${EMPTY-$B}", ""],
    ["${MISSING+x}", ""],
    ["\\$A", "$A"],
    ["$(echo $A)", "$(echo a)"],
    ["cost $", "cost $"],
  ])("%s -> %s", (expr, expected) => {
    expect(expandTag(expr, values)).toBe(expected);
  });
});

describe("evaluateCondition", () => {
  const values = { D: "rke2", F: "true", E: "" };
  it.each([
    ['[ "$D" = "rke2" ]', true],
    ['[ "$D" == "k3s" ]', false],
    ['[ "$D" != "k3s" ]', true],
    ['[ -z "$E" ]', true],
    ['[ -n "$E" ]', false],
    ['[ ! -n "$E" ]', true],
    ['[ "$D" = "rke2" ] && [ "$F" = "true" ]', true],
    ['[ "$D" = "k3s" ] && [ "$F" = "true" ]', false],
    ['[ "$D" = "k3s" ] || [ "$F" = "true" ]', true],
    ['echo "$D-image" | grep -q rke2', true],
    ["test -f /x", undefined],
    ['[ "$D" -gt 1 ]', undefined],
  ])("%s -> %s", (condition, expected) => {
    expect(evaluateCondition(condition, values)).toBe(expected);
  });
});
