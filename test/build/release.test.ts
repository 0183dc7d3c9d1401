/**
 * build/release.ts: one archive built for this machine (cross targets need
 * the npm registry and a minute; `npm run release` builds them), unpacked
 * with the system's tar, checked with sha256sum, and smoke-tested.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "../../build/build.ts";
import { archiveName, buildArchive, extras, sha256sums, smokeTest, TARGETS, type Archive } from "../../build/release.ts";
import { tempDir } from "../harness.ts";

test("the five targets, each a Bun compile target with the architecture file(1) must report", () => {
  expect(TARGETS.map((t) => t.name)).toEqual(["linux-x64", "linux-x64-musl", "linux-arm64", "darwin-x64", "darwin-arm64"]);
  for (const t of TARGETS) expect(t.bun).toMatch(/^bun-(linux|darwin)-(x64|arm64)/);
  // each pattern accepts its own target's description only
  const says: Record<string, string> = {
    "linux-x64": "ELF 64-bit LSB executable, x86-64, version 1 (SYSV), dynamically linked, interpreter /lib64/ld-linux-x86-64.so.2",
    "linux-x64-musl": "ELF 64-bit LSB executable, x86-64, version 1 (SYSV), dynamically linked, interpreter /lib/ld-musl-x86_64.so.1",
    "linux-arm64": "ELF 64-bit LSB executable, ARM aarch64, version 1 (SYSV), dynamically linked, interpreter /lib/ld-linux-aarch64.so.1",
    "darwin-x64": "Mach-O 64-bit x86_64 executable, flags:<NOUNDEFS|DYLDLINK|TWOLEVEL|PIE>",
    "darwin-arm64": "Mach-O 64-bit arm64 executable, flags:<NOUNDEFS|DYLDLINK|TWOLEVEL|PIE>",
  };
  for (const t of TARGETS) for (const [name, text] of Object.entries(says)) expect(t.file.test(text)).toBe(name === t.name);
});

test("an archive for this machine: layout, hard link, checksums, and it passes the smoke test", async () => {
  using t = tempDir("cfk-release-");
  const version = "9.8.7";
  const a = await buildArchive(
    { name: "host", file: /^(ELF|Mach-O) 64-bit/ },
    { out: t.path, version, label: "9.8.7 (test)", mtime: 1_700_000_000, level: 1, notices: "NOTICES\n" },
  );
  expect(a.file).toBe("cfk-9.8.7-host.tar.gz");
  expect(readdirSync(t.path)).toEqual([a.file]); // no build leftovers
  expect(statSync(join(t.path, a.file)).size).toBe(a.bytes);

  // checksums as an operator checks them
  const other: Archive = { target: "other", file: "a-first.tar.gz", sha256: "0".repeat(64), bytes: 0, executableBytes: 0 };
  const sums = sha256sums([a, other]);
  expect(sums.split("\n")[0]).toStartWith(`${"0".repeat(64)}  a-first.tar.gz`); // sorted by file name
  writeFileSync(join(t.path, "SHA256SUMS"), sha256sums([a]));
  const check = Bun.which("sha256sum") ? ["sha256sum", "-c", "SHA256SUMS"] : ["shasum", "-a", "256", "-c", "SHA256SUMS"];
  const r = Bun.spawnSync(check, { cwd: t.path });
  expect(r.stdout.toString()).toBe(`${a.file}: OK\n`);
  expect(r.exitCode).toBe(0);

  await Bun.$`tar -xzf ${a.file}`.cwd(t.path).quiet();
  const top = join(t.path, archiveName(version, "host"));
  expect(readdirSync(top).sort()).toEqual(["LICENSE", "README.md", "THIRD-PARTY-NOTICES", "cfkctl", "cfkd", "cfkd.conf", "cfkd.service", "docs", "proxies"]);
  expect(statSync(join(top, "proxies/cfk-python-proxy.py")).mode & 0o777).toBe(0o755);
  expect(readdirSync(join(top, "docs"))).toContain("install.md");
  for (const [inArchive, inRepo] of extras()) expect(readFileSync(join(top, inArchive), "utf8")).toBe(readFileSync(join(ROOT, inRepo), "utf8"));
  expect(readFileSync(join(top, "THIRD-PARTY-NOTICES"), "utf8")).toBe("NOTICES\n");
  const [d, c] = [statSync(join(top, "cfkd")), statSync(join(top, "cfkctl"))];
  expect(c.ino).toBe(d.ino); // one executable, two names: the download holds it once
  expect(d.mode & 0o777).toBe(0o755);
  expect(d.size).toBe(a.executableBytes);
  expect(a.bytes).toBeLessThan(a.executableBytes * 0.7);
  expect(Bun.spawnSync([join(top, "cfkctl"), "--version"]).stdout.toString()).toBe("9.8.7 (test)\n");

  await smokeTest(join(t.path, a.file), version, "host");
}, 30_000);
