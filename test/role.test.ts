/** src/role.ts: the one executable runs as the program it is named after. */
import { expect, test } from "bun:test";
import { roleOf, wrongName } from "../src/role.ts";

test.each([
  ["cfkd", "cfkd"],
  ["cfkctl", "cfkctl"],
  ["/usr/local/bin/cfkd", "cfkd"],
  ["./cfkctl", "cfkctl"],
  ["cfkd-0.1.0", "cfkd"],
  ["/opt/cfk/cfkctl.old", "cfkctl"],
  ["cfk", null],
  ["bun", null],
  ["/home/cfkd/bin/other", null],
  ["", null],
  ["mycfkd", null],
])("%p runs as %p", (argv0, role) => {
  expect(roleOf(argv0)).toBe(role as ReturnType<typeof roleOf>);
});

test("another name gets a message saying how to run it", () => {
  expect(wrongName("./cfk-0.1.0")).toMatch(/^\.\/cfk-0\.1\.0: .*both cfkd and cfkctl.*\n.*start it as cfkd or cfkctl/s);
});
