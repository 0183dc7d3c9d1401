/**
 * build/tar.ts against the system's tar: what we write, tar reads back —
 * contents, modes, the directory, and the hard link as a link.
 */
import { expect, test } from "bun:test";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tar } from "../../build/tar.ts";
import { tempDir } from "../harness.ts";

const enc = new TextEncoder();

test("GNU/BSD tar extracts files, modes, directories and hard links from our archive", async () => {
  using t = tempDir();
  const big = new Uint8Array(70_000).map((_, i) => i % 251); // crosses block boundaries, not a multiple of 512
  const archive = tar(
    [
      { kind: "dir", path: "top", mode: 0o755 },
      { kind: "file", path: "top/prog", mode: 0o755, data: big },
      { kind: "link", path: "top/alias", target: "top/prog" },
      { kind: "dir", path: "top/docs/", mode: 0o755 },
      { kind: "file", path: "top/docs/a.md", mode: 0o644, data: enc.encode("hello\n") },
      { kind: "file", path: "top/empty", mode: 0o600, data: new Uint8Array(0) },
    ],
    1_700_000_000,
  );
  expect(archive.length % 10240).toBe(0);
  writeFileSync(join(t.path, "a.tar"), archive);
  const list = await Bun.$`tar -tvf ${join(t.path, "a.tar")}`.cwd(t.path).text();
  expect(list).toMatch(/top\/alias link to top\/prog/);
  await Bun.$`tar -xf a.tar`.cwd(t.path).quiet();
  const p = (f: string) => join(t.path, "top", f);
  expect(new Uint8Array(readFileSync(p("prog")))).toEqual(big);
  expect(readFileSync(p("docs/a.md"), "utf8")).toBe("hello\n");
  expect(readFileSync(p("empty")).length).toBe(0);
  expect(statSync(p("prog")).mode & 0o777).toBe(0o755);
  expect(statSync(p("docs/a.md")).mode & 0o777).toBe(0o644);
  expect(statSync(p("alias")).ino).toBe(statSync(p("prog")).ino);
  expect(statSync(p("prog")).nlink).toBe(2);
  expect(statSync(p("prog")).mtimeMs).toBe(1_700_000_000_000);
});

test("names that do not fit a ustar header are refused, not truncated", () => {
  expect(() => tar([{ kind: "file", path: "x".repeat(101), mode: 0o644, data: new Uint8Array(1) }], 0)).toThrow(/does not fit/);
});
