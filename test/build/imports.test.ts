/**
 * The house's import rules, checked on the source text: no circle of value
 * imports (a circle through `import type` only is erased at run time and
 * allowed), daemon/os/ imports nothing from the rest of the daemon, and
 * daemon/ and cli/ never import each other.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";

const SRC = resolve(import.meta.dir, "../../src");

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith(".ts") ? [join(dir, e.name)] : [],
  );
}

/** Relative imports of each file (as src-relative paths), and whether each is type-only. */
function imports(): Map<string, { to: string; typeOnly: boolean }[]> {
  const out = new Map<string, { to: string; typeOnly: boolean }[]>();
  const re = /^\s*(import|export)\s+(type\s+)?([^;]*?)\s+from\s+"(\.[^"]+)"/gms;
  for (const f of files(SRC)) {
    const text = readFileSync(f, "utf8");
    const list: { to: string; typeOnly: boolean }[] = [];
    for (const m of text.matchAll(re)) {
      const clause = m[3]!;
      const allTypes = /^\{[^}]*\}$/s.test(clause) && clause.slice(1, -1).split(",").every((n) => n.trim() === "" || n.trim().startsWith("type "));
      list.push({ to: relative(SRC, resolve(dirname(f), m[4]!)), typeOnly: m[2] !== undefined || allTypes });
    }
    out.set(relative(SRC, f), list);
  }
  return out;
}

test("no circle of value imports in src/", () => {
  const g = imports();
  const cycles: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (n: string) => {
    state.set(n, "open");
    path.push(n);
    for (const { to, typeOnly } of g.get(n) ?? []) {
      if (typeOnly || !g.has(to)) continue;
      if (state.get(to) === "open") cycles.push([...path.slice(path.indexOf(to)), to].join(" → "));
      else if (!state.has(to)) visit(to);
    }
    path.pop();
    state.set(n, "done");
  };
  for (const n of g.keys()) if (!state.has(n)) visit(n);
  expect(cycles).toEqual([]);
});

test("daemon/os/ imports nothing from other daemon/ folders; daemon/ and cli/ never import each other", () => {
  const bad: string[] = [];
  for (const [from, list] of imports()) {
    for (const { to } of list) {
      if (from.startsWith("daemon/os/") && to.startsWith("daemon/") && !to.startsWith("daemon/os/")) bad.push(`${from} → ${to}`);
      if (from.startsWith("daemon/") && to.startsWith("cli/")) bad.push(`${from} → ${to}`);
      if (from.startsWith("cli/") && to.startsWith("daemon/")) bad.push(`${from} → ${to}`);
    }
  }
  expect(bad).toEqual([]);
});
