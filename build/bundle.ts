/**
 * The executable's module graph, from the bundler's metafile: which sources
 * each program evaluates at start-up (cfkctl must not load the daemon, nor
 * commander unless it prints help), and which npm packages end up inside
 * (their licences ship in the release).
 */
import { relative, resolve } from "node:path";
import { BUNDLE_OPTIONS, ROOT } from "./build.ts";

/** One output file of the bundle: its entry (if built from one), its sources, the outputs it imports statically. */
export type Chunk = { entry?: string; inputs: string[]; staticImports: string[] };
/** Outputs by name; every path relative to the repository (`src/cfkd.ts`, `node_modules/commander/index.js`). */
export type Graph = Map<string, Chunk>;

/**
 * Bundle src/cfk.ts in memory, as the executables are bundled (without
 * bytecode, which only `--compile` can make; the chunks are the same).
 */
export async function bundleGraph(): Promise<Graph> {
  const r = await Bun.build({
    entrypoints: [resolve(ROOT, "src/cfk.ts")],
    ...BUNDLE_OPTIONS,
    bytecode: false,
    target: "bun",
    metafile: true,
    define: { CFK_BUILD_VERSION: JSON.stringify("graph") },
  });
  if (!r.success || !r.metafile) throw new Error(`bundle failed: ${r.logs.join("\n")}`);
  // Metafile paths are relative to the current directory.
  const rel = (p: string) => relative(ROOT, resolve(p));
  const graph: Graph = new Map();
  for (const [name, o] of Object.entries(r.metafile.outputs)) {
    const imports = (o as { imports?: { path: string; kind: string }[] }).imports ?? [];
    graph.set(name, {
      entry: o.entryPoint === undefined ? undefined : rel(o.entryPoint),
      inputs: Object.keys(o.inputs).map(rel),
      staticImports: imports.filter((i) => i.kind === "import-statement").map((i) => i.path),
    });
  }
  return graph;
}

/**
 * The sources evaluated when `entry` is loaded: those of its output and of
 * every output reached through static imports (dynamic imports load only
 * when the code asks).
 */
export function loadedWith(graph: Graph, entry: string): string[] {
  const start = [...graph].find(([, c]) => c.entry === entry)?.[0];
  if (start === undefined) throw new Error(`no output is built from ${entry}`);
  const seen = new Set<string>();
  const todo = [start];
  while (todo.length > 0) {
    const name = todo.pop()!;
    const chunk = graph.get(name);
    if (chunk === undefined || seen.has(name)) continue; // external modules (node:fs) are not outputs
    seen.add(name);
    todo.push(...chunk.staticImports);
  }
  return [...new Set([...seen].flatMap((n) => graph.get(n)!.inputs))].sort();
}

/** The npm packages bundled in, as directories relative to the repository (`node_modules/commander`). */
export function bundledPackages(graph: Graph): string[] {
  const dirs = new Set<string>();
  for (const chunk of graph.values()) {
    for (const input of chunk.inputs) {
      const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
      if (m) dirs.add(m[1]!);
    }
  }
  return [...dirs].sort();
}
