/**
 * Issue 13, acceptance 4: docs/properties.md is generated from the property
 * table, and the table lists every property the daemon accepts — adding a
 * setter without a doc line, or forgetting to regenerate, fails here.
 * Fix: add the line to src/protocol/properties.ts, run `npx bun build/properties-doc.ts`.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { PROPERTY_NAMES } from "../../src/daemon/service/props.ts";
import { SOCKET_PROPERTY_NAMES } from "../../src/daemon/socket/props.ts";
import { PROXY_PROPERTY_NAMES } from "../../src/daemon/proxy/props.ts";
import { PROXY_PROPERTIES, SERVICE_PROPERTIES, SOCKET_PROPERTIES, explainRefusal } from "../../src/protocol/properties.ts";
import { PROPERTIES_DOC, propertiesDoc } from "../../build/properties-doc.ts";
import { BUN, ROOT } from "../harness.ts";

test("every property the daemon accepts has a doc line, and no doc line is for a property it refuses", () => {
  expect(Object.keys(SERVICE_PROPERTIES).sort()).toEqual([...PROPERTY_NAMES].sort());
  expect(Object.keys(SOCKET_PROPERTIES).sort()).toEqual([...SOCKET_PROPERTY_NAMES].sort());
  expect(Object.keys(PROXY_PROPERTIES).sort()).toEqual([...PROXY_PROPERTY_NAMES].sort());
});

test("docs/properties.md is what the generator writes (regenerate: npx bun build/properties-doc.ts)", () => {
  expect(readFileSync(PROPERTIES_DOC, "utf8")).toBe(propertiesDoc());
  for (const name of [...PROPERTY_NAMES, ...SOCKET_PROPERTY_NAMES, ...PROXY_PROPERTY_NAMES]) expect(propertiesDoc()).toContain(`| \`${name}\``);
});

test("the generator's --check says when the page is stale", () => {
  const r = Bun.spawnSync([BUN, "build/properties-doc.ts", "--check"], { cwd: ROOT, stderr: "pipe" });
  expect(r.exitCode).toBe(0);
});

test("refusals explained: which property, what is allowed", () => {
  expect(explainRefusal("service", "respawn_on_fail", "maybe", "invalid value")).toBe("respawn_on_fail: invalid value 'maybe' (expected 0 or 1)");
  expect(explainRefusal("socket", "nonblocking", "maybe", "invalid value")).toBe("nonblocking: invalid value 'maybe' (expected 0 or 1)");
  expect(explainRefusal("service", "colour", "blue", "invalid property 'colour'")).toBeNull();
  expect(explainRefusal("service", "cmd", "x", "service name is invalid")).toBeNull();
});

test("cfkctl help properties prints the table in plain text", async () => {
  const { cfkctl } = await import("../cli/fake-io.ts");
  const r = await cfkctl(["help", "properties"]);
  expect(r.code).toBe(0);
  const text = r.out.join("\n");
  for (const name of PROPERTY_NAMES) expect(text).toContain(`\n  ${name}`);
  expect(text).toContain("value: 0 or 1");
  expect((await cfkctl(["--address", "/nowhere", "help", "properties"])).out.join("\n")).toBe(text); // after options too
});
