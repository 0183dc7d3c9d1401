/**
 * What each program evaluates at start-up, read from the bundler's
 * metafile: cfkd and cfkctl share one executable, and cfkctl must still
 * start lean — no daemon code, no commander (loaded only for help and
 * usage errors) — and the shared entry must load nothing but the dispatch.
 */
import { beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { ROOT } from "../../build/build.ts";
import { bundledPackages, bundleGraph, loadedWith, type Graph } from "../../build/bundle.ts";
import { readPackage, thirdPartyNotices } from "../../build/notices.ts";

let graph: Graph;
beforeAll(async () => {
  graph = await bundleGraph();
});

test("the entry loads only the dispatch on the name", () => {
  expect(loadedWith(graph, "src/cfk.ts")).toEqual(["src/cfk.ts", "src/role.ts"]);
});

test("cfkctl loads no daemon code and no commander at start-up", () => {
  const ctl = loadedWith(graph, "src/cfkctl.ts");
  expect(ctl).toContain("src/cli/run.ts");
  expect(ctl).toContain("src/protocol/framing.ts");
  expect(ctl.filter((p) => !/^src\/(cli|protocol)\/|^src\/cfkctl\.ts$/.test(p))).toEqual([]);
  // commander is there, for help only, behind a dynamic import
  expect(loadedWith(graph, "src/cli/program.ts")).toContain("node_modules/commander/index.js");
});

test("cfkd loads no client code", () => {
  const d = loadedWith(graph, "src/cfkd.ts");
  expect(d).toContain("src/daemon/daemon.ts");
  expect(d.filter((p) => p.startsWith("src/cli/"))).toEqual([]);
});

test("every bundled npm package has a licence to ship in THIRD-PARTY-NOTICES", () => {
  const dirs = bundledPackages(graph);
  expect(dirs).toContain("node_modules/commander");
  const packages = dirs.map((d) => readPackage(join(ROOT, d)));
  const text = thirdPartyNotices(Bun.version, packages);
  expect(text).toContain(`Bun ${Bun.version}`);
  for (const p of packages) {
    expect(p.text.length).toBeGreaterThan(100);
    expect(text).toContain(`${p.name} ${p.version} - ${p.license}`);
  }
});

test("a package without a licence file stops the release", () => {
  expect(() => readPackage(join(ROOT, "src"))).toThrow();
});
