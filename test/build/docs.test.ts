/**
 * Issue 13, acceptance 5: the docs' shell blocks run as written. Every
 * ```sh block of README.md, build/release-README.md and docs/*.md runs,
 * unless the line before it is `<!-- doc-test: skip (why) -->` — then it
 * must say why. Each block runs in a scratch copy of the project (links to
 * node_modules, src, examples, …) with a fresh HOME, `cfkd` and `cfkctl` on
 * the PATH as an installed release would put them, under `bash -e` with
 * aliases on; whatever it leaves running (found by that HOME in its
 * environment) is stopped afterwards.
 */
import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { BUN, ROOT, tempDir, waitFor } from "../harness.ts";

/** line: the 1-based line of the opening fence */
type Block = { file: string; line: number; text: string; skip: string | null };

const SKIP = /^<!-- doc-test: skip(?: \((.+)\))? -->$/;

/** The ```sh blocks of a Markdown text. */
export function shellBlocks(file: string, md: string): Block[] {
  const lines = md.split("\n");
  const out: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "```sh") continue;
    let p = i - 1;
    while (p >= 0 && lines[p]!.trim() === "") p--;
    const m = p >= 0 ? SKIP.exec(lines[p]!.trim()) : null;
    const start = i + 1;
    while (i + 1 < lines.length && lines[i + 1]!.trim() !== "```") i++;
    out.push({ file, line: start, text: lines.slice(start, i + 1).join("\n"), skip: m ? (m[1] ?? "") : null });
    i++;
  }
  return out;
}

const FILES = ["README.md", "build/release-README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const blocks = FILES.flatMap((f) => shellBlocks(f, readFileSync(join(ROOT, f), "utf8")));

test("every skipped block says why, and some blocks run", () => {
  for (const b of blocks) if (b.skip !== null) expect({ at: `${b.file}:${b.line}`, reason: b.skip }).toEqual({ at: `${b.file}:${b.line}`, reason: expect.stringMatching(/\w/) });
  expect(blocks.filter((b) => b.skip === null).length).toBeGreaterThanOrEqual(4);
});

test("the parser finds blocks and markers", () => {
  const md = "x\n<!-- doc-test: skip (slow) -->\n```sh\na\n```\n\n```sh\nb\nc\n```\n```\nnot sh\n```\n";
  expect(shellBlocks("m.md", md)).toEqual([
    { file: "m.md", line: 3, text: "a", skip: "slow" },
    { file: "m.md", line: 7, text: "b\nc", skip: null },
  ]);
});

/** Processes that carry this HOME in their environment (what a block left running). */
function leftBehind(home: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync("/proc")) {
    if (!/^\d+$/.test(e) || Number(e) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${e}/environ`, "latin1").split("\0").includes(`HOME=${home}`)) out.push(Number(e));
    } catch {
      /* gone, or not ours */
    }
  }
  return out;
}

describe("doc blocks run as written", () => {
  for (const b of blocks.filter((x) => x.skip === null)) {
    test(`${b.file}:${b.line}`, async () => {
      using t = tempDir("cfk-doc-");
      const work = join(t.path, "project");
      const home = join(t.path, "home");
      const bin = join(t.path, "bin");
      for (const d of [work, home, bin]) mkdirSync(d);
      for (const f of ["node_modules", "src", "examples", "proxies", "build", "docs", "package.json", "tsconfig.json", "bunfig.toml"]) symlinkSync(join(ROOT, f), join(work, f));
      for (const prog of ["cfkd", "cfkctl"]) {
        writeFileSync(join(bin, prog), `#!/bin/sh\nexec "${BUN}" "${ROOT}/src/${prog}.ts" "$@"\n`);
        chmodSync(join(bin, prog), 0o755);
      }
      const p = Bun.spawn(["bash", "-O", "expand_aliases", "-e", "-c", b.text], {
        cwd: work,
        env: { PATH: `${bin}:${process.env.PATH}`, HOME: home, LANG: "C.UTF-8", TZ: "UTC" },
        stdio: ["ignore", "pipe", "pipe"],
      });
      const timer = setTimeout(() => p.kill("SIGKILL"), 25_000);
      const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
      clearTimeout(timer);
      // a cfkd that has closed its socket and lock may still be exiting: give it a moment
      const left = await waitFor(() => leftBehind(home).length === 0, "processes to exit", 3000).then(() => [], () => leftBehind(home));
      for (const pid of left) process.kill(pid, "SIGTERM");
      await waitFor(() => leftBehind(home).length === 0, "what the block left running to stop", 5000).catch(() => {
        for (const pid of leftBehind(home)) process.kill(pid, "SIGKILL");
      });
      if (process.env.CFK_DOC_TEST_VERBOSE) console.log(`--- ${b.file}:${b.line}\n${out}${err}`);
      expect({ block: `${b.file}:${b.line}`, code, err: code === 0 ? "" : `${out}\n${err}` }).toEqual({ block: `${b.file}:${b.line}`, code: 0, err: "" });
      expect({ block: `${b.file}:${b.line}`, leftRunning: left }).toEqual({ block: `${b.file}:${b.line}`, leftRunning: [] });
    }, 30_000);
  }
});
