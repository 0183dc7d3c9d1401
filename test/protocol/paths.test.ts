/** resolvePath (protocol/paths.ts) gives what node:path's posix.resolve gives. */
import { expect, test } from "bun:test";
import { posix } from "node:path";
import { resolvePath } from "../../src/protocol/paths.ts";

test.each([
  ["/home/u", "sock"],
  ["/home/u", "./a/b/../c//d/"],
  ["/home/u", "/abs//x/./y/.."],
  ["/home/u", "../../../../etc"],
  ["/", "."],
  ["/", ".."],
  ["/a/b", ""],
  ["/a/b/", "c/"],
  ["/a", "..."],
  ["/a", ".hidden/..x"],
])("resolvePath(%p, %p)", (cwd, p) => {
  expect(resolvePath(cwd, p)).toBe(posix.resolve(cwd, p));
});
