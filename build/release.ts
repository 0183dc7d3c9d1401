/**
 * The release: for each platform, release/cfk-<version>-<target>.tar.gz
 * holding the executable (cfkd, and cfkctl a hard link to it), README,
 * LICENSE, THIRD-PARTY-NOTICES, docs/, an example config and a systemd
 * unit; then release/SHA256SUMS. Bun cross-compiles: each target's runtime
 * comes from the npm registry (@oven/bun-<target>), cached in
 * ~/.bun/install/cache after the first time.
 *   bun build/release.ts                       # all five targets (npm run release)
 *   bun build/release.ts linux-x64 darwin-arm64
 *   bun build/release.ts --out DIR --level 1 --no-smoke linux-x64
 * The archive of this machine's own target is unpacked and smoke-tested
 * (build/smoke.sh) before the command succeeds.
 */
import { $ } from "bun";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import pkg from "../package.json" with { type: "json" };
import { buildExecutables, ROOT, versionString } from "./build.ts";
import { bundledPackages, bundleGraph } from "./bundle.ts";
import { readPackage, thirdPartyNotices } from "./notices.ts";
import { tar, type TarEntry } from "./tar.ts";

/** A release target: its name in the archive's, Bun's compile target, and what file(1) says of it. */
export type Target = { name: string; bun?: string; file: RegExp };

// x64 builds use Bun's "baseline" runtime, which needs no AVX2: a supervisor
// gains nothing from SIMD, and must not die of SIGILL on an old CPU or a VM
// with a generic CPU model. (Bun 1.4.5's baseline and default are the same file.)
export const TARGETS: readonly Target[] = [
  { name: "linux-x64", bun: "bun-linux-x64-baseline", file: /^ELF 64-bit LSB .*x86-64.*ld-linux-x86-64/ },
  { name: "linux-x64-musl", bun: "bun-linux-x64-musl-baseline", file: /^ELF 64-bit LSB .*x86-64.*ld-musl-x86_64/ },
  { name: "linux-arm64", bun: "bun-linux-arm64", file: /^ELF 64-bit LSB .*ARM aarch64/ },
  { name: "darwin-x64", bun: "bun-darwin-x64-baseline", file: /^Mach-O 64-bit x86_64 executable/ },
  { name: "darwin-arm64", bun: "bun-darwin-arm64", file: /^Mach-O 64-bit arm64 executable/ },
];

/**
 * Files shipped beside the executables, [path in the archive, path in the
 * repository]: the examples at the top, and every page of docs/ (the
 * README and install.md link to them).
 */
export function extras(): [string, string][] {
  const docs = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).sort();
  return [
    // the operators' README (download, verify, install, run, where the docs are), not the developers'
    ["README.md", "build/release-README.md"],
    ["LICENSE", "LICENSE"],
    ["cfkd.conf", "examples/cfkd.conf"],
    ["cfkd.service", "examples/cfkd.service"],
    ...docs.map((f): [string, string] => [`docs/${f}`, `docs/${f}`]),
    ["proxies/cfk-python-proxy.py", "proxies/cfk-python-proxy.py"],
  ];
}

export type ArchiveOptions = {
  /** directory the archive is written to */
  out: string;
  /** the version in the archive's name */
  version: string;
  /** the version string embedded in the executables (with the commit) */
  label: string;
  /** modification time of every entry, epoch seconds */
  mtime: number;
  level: Bun.ZlibCompressionOptions["level"];
  /** THIRD-PARTY-NOTICES */
  notices: string;
};

export type Archive = { target: string; file: string; sha256: string; bytes: number; executableBytes: number };

export const archiveName = (version: string, target: string) => `cfk-${version}-${target}`;

/** Compile one target, check its architecture, and write its archive. */
export async function buildArchive(t: Target, o: ArchiveOptions): Promise<Archive> {
  mkdirSync(o.out, { recursive: true });
  const work = mkdtempSync(join(o.out, `.build-${t.name}-`));
  try {
    const exe = await buildExecutables(work, o.label, t.bun);
    const what = await fileType(exe.cfkd);
    if (what !== null && !t.file.test(what)) throw new Error(`${t.name}: the executable is not for this target; file(1) says: ${what}`);
    const top = archiveName(o.version, t.name);
    const data = await Bun.file(exe.cfkd).bytes();
    const entries: TarEntry[] = [
      { kind: "dir", path: top, mode: 0o755 },
      { kind: "file", path: `${top}/cfkd`, mode: 0o755, data },
      { kind: "link", path: `${top}/cfkctl`, target: `${top}/cfkd` },
      { kind: "file", path: `${top}/THIRD-PARTY-NOTICES`, mode: 0o644, data: new TextEncoder().encode(o.notices) },
    ];
    const dirs = new Set<string>();
    for (const [inArchive, inRepo] of extras()) {
      const dir = dirname(inArchive);
      if (dir !== "." && !dirs.has(dir)) entries.push({ kind: "dir", path: `${top}/${dir}`, mode: 0o755 }), dirs.add(dir);
      const mode = statSync(join(ROOT, inRepo)).mode & 0o111 ? 0o755 : 0o644; // scripts stay executable
      entries.push({ kind: "file", path: `${top}/${inArchive}`, mode, data: readFileSync(join(ROOT, inRepo)) });
    }
    const gz = Bun.gzipSync(tar(entries, o.mtime), { level: o.level });
    const file = `${top}.tar.gz`;
    await Bun.write(join(o.out, file), gz);
    return { target: t.name, file, sha256: sha256(gz), bytes: gz.length, executableBytes: data.length };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

export function sha256(data: Uint8Array): string {
  return new Bun.CryptoHasher("sha256").update(data).digest("hex");
}

/** The SHA256SUMS file, in the format `sha256sum -c` reads. */
export function sha256sums(archives: readonly Archive[]): string {
  return archives
    .map((a) => `${a.sha256}  ${a.file}\n`)
    .sort((a, b) => (a.slice(66) < b.slice(66) ? -1 : 1))
    .join("");
}

/** What file(1) says of a file, or null without file(1). */
async function fileType(path: string): Promise<string | null> {
  if (Bun.which("file") === null) return null;
  return (await $`file -b ${path}`.quiet()).stdout.toString().trim();
}

/** The third-party notices for what the bundle contains, read from node_modules. */
export async function notices(): Promise<string> {
  const packages = bundledPackages(await bundleGraph()).map((dir) => readPackage(join(ROOT, dir)));
  return thirdPartyNotices(Bun.version, packages);
}

/** The target this machine runs, if it is one of ours. */
export function hostTarget(): string {
  return `${process.platform}-${process.arch}`;
}

/** Unpack an archive with the system's tar and run build/smoke.sh on it. */
export async function smokeTest(archive: string, version: string, target: string): Promise<void> {
  const dir = mkdtempSync(join(dirname(archive), ".smoke-"));
  try {
    await $`tar -xzf ${archive} -C ${dir}`;
    await $`sh ${join(ROOT, "build/smoke.sh")} ${join(dir, archiveName(version, target))}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function commitTime(): Promise<number> {
  const r = await $`git -C ${ROOT} log -1 --format=%ct`.quiet().nothrow();
  const t = Number(r.stdout.toString().trim());
  return r.exitCode === 0 && t > 0 ? t : Math.floor(Date.now() / 1000);
}

const mb = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { out: { type: "string" }, level: { type: "string" }, "no-smoke": { type: "boolean" } },
  });
  const wanted = positionals.length > 0 ? positionals : TARGETS.map((t) => t.name);
  const targets = wanted.map((name) => {
    const t = TARGETS.find((x) => x.name === name);
    if (!t) throw new Error(`unknown target '${name}'; the targets are: ${TARGETS.map((x) => x.name).join(", ")}`);
    return t;
  });
  const out = values.out ?? join(ROOT, "release");
  const level = Number(values.level ?? 9) as ArchiveOptions["level"];
  const label = await versionString();
  if (label.includes("-dirty")) console.warn(`warning: uncommitted changes; the executables say ${label}`);

  mkdirSync(out, { recursive: true });
  for (const f of readdirSync(out)) if (/^cfk-.*\.tar\.gz$|^SHA256SUMS$/.test(f)) rmSync(join(out, f));
  const o: ArchiveOptions = { out, version: pkg.version, label, mtime: await commitTime(), level, notices: await notices() };
  const archives: Archive[] = [];
  for (const t of targets) {
    const a = await buildArchive(t, o);
    console.log(`${a.file}  ${mb(a.bytes)}  (executable ${mb(a.executableBytes)})`);
    archives.push(a);
  }
  await Bun.write(join(out, "SHA256SUMS"), sha256sums(archives));
  console.log(`SHA256SUMS: ${archives.length} archive(s) in ${out}`);
  if (Bun.which("file") === null) console.warn("warning: file(1) is not installed; the architectures were not checked");
  const host = archives.find((a) => a.target === hostTarget());
  if (host && !values["no-smoke"]) {
    await smokeTest(join(out, host.file), pkg.version, host.target);
    console.log(`${host.file}: smoke test passed`);
  }
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((e) => {
    console.error(`release: ${(e as Error).message}`);
    process.exit(1);
  });
}
