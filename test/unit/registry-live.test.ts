// The registry client against a real registry (Debian's docker-registry on loopback).
import { describe, expect, it } from "vitest";
import { imageExists } from "../../src/registry/client.js";
import { dockerAvailable, pushTinyImage, registryAvailable, requireService, TEST_REGISTRY, uniqueTag } from "../support/services.js";

const ready = requireService("docker and the test registry", dockerAvailable() && (await registryAvailable()), `start dockerd and a registry on ${TEST_REGISTRY} (see .ci/run)`);

describe.skipIf(!ready)("imageExists against the live registry", () => {
  it("finds a pushed image and not a tag never pushed", async () => {
    const tag = uniqueTag();
    const ref = `${TEST_REGISTRY}/canvos-test/tiny:${tag}`;
    pushTinyImage(ref);
    const env = { DOCKER_CONFIG: "/nonexistent", PATH: process.env["PATH"] };
    expect(await imageExists(ref, { env })).toBe(true);
    expect(await imageExists(`${TEST_REGISTRY}/canvos-test/tiny:${tag}-never`, { env })).toBe(false);
    expect(await imageExists(`${TEST_REGISTRY}/canvos-test/never-pushed-repo:${tag}`, { env })).toBe(false);
  }, 120_000);
});
