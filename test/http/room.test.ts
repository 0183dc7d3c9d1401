/** The HTTP face keeps to its room: Bun.serve is called in one module only. */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../src");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : []));
}

test("Bun.serve appears only in src/daemon/http/server.ts", () => {
  const users = files(SRC).filter((f) => /\bBun\.serve\s*\(/.test(readFileSync(f, "utf8"))).map((f) => relative(SRC, f));
  expect(users).toEqual(["daemon/http/server.ts"]);
});
