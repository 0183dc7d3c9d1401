/**
 * Compile the executables with `bun build --compile`, the version and git
 * commit embedded. cfkd and cfkctl are one executable under two names
 * (src/cfk.ts picks the program by name; why: docs/install.md).
 *   bun build/build.ts            # dist/cfkd and dist/cfkctl, for this machine
 */
import { $ } from "bun";
import { linkSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import pkg from "../package.json" with { type: "json" };

export const ROOT = resolve(import.meta.dir, "..");
const dist = join(ROOT, "dist");

/** The short commit, `-dirty` when the work tree has uncommitted changes. */
export async function gitCommit(): Promise<string> {
  const r = await $`git -C ${ROOT} rev-parse --short HEAD`.quiet().nothrow();
  if (r.exitCode !== 0) return "unknown";
  const dirty = await $`git -C ${ROOT} status --porcelain --untracked-files=no`.quiet().nothrow();
  return r.stdout.toString().trim() + (dirty.stdout.length > 0 ? "-dirty" : "");
}

export async function versionString(): Promise<string> {
  return `${pkg.version} (${await gitCommit()})`;
}

/** Compile one entry point into one executable; `target` as in `bun build --target`. */
export async function compile(entry: string, outfile: string, version: string, target?: string, variant: CompileVariant = {}): Promise<void> {
  const r = await Bun.build({
    entrypoints: [join(ROOT, "src", entry)],
    // A supervisor must not pick up a stray .env or bunfig.toml from its cwd.
    compile: { outfile, autoloadDotenv: false, autoloadBunfig: false, ...COMPILE_OPTIONS, ...variant, ...(target ? { target: target as Bun.Build.CompileTarget } : {}) },
    ...BUNDLE_OPTIONS,
    define: { CFK_BUILD_VERSION: JSON.stringify(version) },
  });
  if (!r.success) {
    for (const l of r.logs) console.error(l);
    throw new Error(`build of ${entry} failed`);
  }
}

/** Compile options a benchmark may try against the shipped ones (test/bench/memory.bench.ts). */
export type CompileVariant = { jitPolicy?: number };

/**
 * The compile options that ship. jitPolicy 10: JavaScriptCore tiers code up
 * ten times later. Most of what either program runs runs once (start-up,
 * parsing config, rendering one reply), and the optimising tiers never pay
 * back there; measured side by side (test/bench/memory.bench.ts, and cfkctl
 * against the default build): cfkd's PSS 1–5 MiB lower, `cfkctl status` with
 * 200 services 0.86×, `cfkctl version` unchanged.
 */
export const COMPILE_OPTIONS: CompileVariant = { jitPolicy: 10 };

/** How the sources are bundled; test/build/bundle.test.ts inspects the same layout. */
export const BUNDLE_OPTIONS = {
  minify: true,
  // Keep dynamically imported modules (and their imports) out of start-up:
  // each program is its own chunk, and cfkctl loads commander only for help
  // and usage errors.
  splitting: true,
  // Precompiled bytecode: `cfkctl version` starts ~5 ms sooner and
  // `cfkctl --version` twice as fast, for 1.2 MB more in the archive.
  bytecode: true,
  format: "esm",
} as const;

export type Executables = { cfkd: string; cfkctl: string };

/**
 * Build `dir/cfkd` and `dir/cfkctl`, two hard links to the one executable.
 * Both are replaced by rename, so a cfkd already running from `dir` keeps
 * its file and a concurrent build never sees half of one.
 */
export async function buildExecutables(dir: string, version: string, target?: string): Promise<Executables> {
  mkdirSync(dir, { recursive: true });
  const out = { cfkd: join(dir, "cfkd"), cfkctl: join(dir, "cfkctl") };
  const tmp = { cfkd: `${out.cfkd}.${process.pid}.tmp`, cfkctl: `${out.cfkctl}.${process.pid}.tmp` };
  try {
    await compile("cfk.ts", tmp.cfkd, version, target);
    rmSync(tmp.cfkctl, { force: true });
    linkSync(tmp.cfkd, tmp.cfkctl);
    renameSync(tmp.cfkd, out.cfkd);
    renameSync(tmp.cfkctl, out.cfkctl);
  } finally {
    rmSync(tmp.cfkd, { force: true });
    rmSync(tmp.cfkctl, { force: true });
  }
  return out;
}

if (import.meta.main) {
  const version = await versionString();
  await buildExecutables(dist, version);
  console.log(`built dist/cfkd and dist/cfkctl, one executable under two names (${version})`);
}
