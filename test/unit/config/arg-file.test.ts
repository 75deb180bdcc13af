import { describe, expect, it } from "vitest";
import { decodeArgFile, expandValue, parseArgText, MAX_ARG_FILE_BYTES } from "../../../src/config/arg-file.js";

const parse = (text: string) => parseArgText(text, ".arg");
const values = (text: string) => Object.fromEntries(parse(text).entries.map((e) => [e.key, e.raw]));

describe("parseArgText", () => {
  it("reads KEY=value lines the way users write them", () => {
    const text = [
      "# a comment",
      "",
      "ARCH=amd64",
      "export OS_DISTRIBUTION=ubuntu",
      "CUSTOM_TAG=\"quoted value\"",
      "IMAGE_REGISTRY='single # not a comment'",
      "ISO_NAME=plain # trailing comment",
      "NO_PROXY=a#b",
      "  K8S_DISTRIBUTION = k3s  ",
      "YAML_STYLE: value",
    ].join("\n");
    expect(values(text)).toEqual({
      ARCH: "amd64",
      OS_DISTRIBUTION: "ubuntu",
      CUSTOM_TAG: "quoted value",
      IMAGE_REGISTRY: "single # not a comment",
      ISO_NAME: "plain",
      NO_PROXY: "a#b",
      K8S_DISTRIBUTION: "k3s",
      YAML_STYLE: "value",
    });
    expect(parse(text).problems).toEqual([]);
  });

  it("keeps the line of every entry, with CRLF and lone CR line endings", () => {
    const { entries } = parse("# x\r\nA=1\r\n\r\nB=2\rC=3");
    expect(entries.map((e) => [e.key, e.line])).toEqual([
      ["A", 2],
      ["B", 4],
      ["C", 5],
    ]);
  });

  it("unescapes double quotes, keeps single quotes literal and unexpanded", () => {
    const { entries } = parse(`A="x\\ny \\"q\\""\nB='$HOME \\n'`);
    expect(entries[0]).toMatchObject({ raw: 'x\ny "q"', expand: true });
    expect(entries[1]).toMatchObject({ raw: "$HOME \\n", expand: false });
  });

  it("allows a quoted value over several lines and counts lines after it right", () => {
    const { entries, problems } = parse('A="one\ntwo"\nB=3');
    expect(problems).toEqual([]);
    expect(entries).toMatchObject([
      { key: "A", raw: "one\ntwo", line: 1 },
      { key: "B", raw: "3", line: 3 },
    ]);
  });

  it("reports an unterminated quote at the line it opens", () => {
    const { problems } = parse("A=1\nB=\"never closed\nC=2");
    expect(problems).toEqual([{ where: ".arg:2", severity: "error", message: "B: unterminated double quote" }]);
  });

  it("reports malformed lines instead of skipping them", () => {
    const { problems } = parse("just words\n1ABC=x\nA=\"x\" trailing\nhttp://x");
    expect(problems.map((p) => p.where)).toEqual([".arg:1", ".arg:2", ".arg:3", ".arg:4"]);
    expect(problems[0]?.message).toContain("expected KEY=value");
    expect(problems[1]?.message).toContain("is not a valid name");
    expect(problems[2]?.message).toContain("unexpected text after the closing quote");
  });
});

describe("decodeArgFile", () => {
  it("strips a UTF-8 BOM", () => {
    const result = decodeArgFile(new TextEncoder().encode("\uFEFFA=1"), ".arg");
    expect(result).toEqual({ text: "A=1" });
  });

  it("refuses binary, invalid UTF-8 and oversized files with a message", () => {
    expect(decodeArgFile(new Uint8Array([65, 0, 66]), ".arg")).toMatchObject({ problem: { message: expect.stringContaining("not a text file") } });
    expect(decodeArgFile(new Uint8Array([0xff, 0xfe, 0x41]), ".arg")).toMatchObject({ problem: { message: expect.stringContaining("UTF-8") } });
    expect(decodeArgFile(new Uint8Array(MAX_ARG_FILE_BYTES + 1).fill(65), ".arg")).toMatchObject({ problem: { message: expect.stringContaining("MiB") } });
  });
});

describe("expandValue", () => {
  const lookup = (table: Record<string, string>) => (name: string) => table[name];

  it("expands $VAR and ${VAR}", () => {
    expect(expandValue("$A-${B}/x", lookup({ A: "1", B: "2" }))).toMatchObject({ value: "1-2/x", missing: [] });
  });

  it("reports names defined nowhere and expands them to empty", () => {
    expect(expandValue("a$NOPE", lookup({}))).toMatchObject({ value: "a", missing: ["NOPE"] });
  });

  it("never expands expanded text again, so self-references cannot loop", () => {
    expect(expandValue("$A", lookup({ A: "$A$A" }))).toMatchObject({ value: "$A$A", missing: [] });
  });

  it("keeps an escaped dollar from a double-quoted value literal", () => {
    const { entries } = parseArgText('A="\\$HOME"', ".arg");
    expect(expandValue(entries[0]?.raw ?? "", lookup({ HOME: "/root" })).value).toBe("$HOME");
  });
});
