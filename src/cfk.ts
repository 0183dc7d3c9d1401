/**
 * The released executable, installed twice: as `cfkd` and as `cfkctl`
 * (a hard link to the same file), it runs the program it is named after.
 * Each program is its own chunk, imported only here, so cfkctl loads no
 * daemon code and cfkd no client code (test/build/bundle.test.ts checks).
 * Why one file: docs/install.md.
 */
import { roleOf, wrongName } from "./role.ts";

const role = roleOf(process.argv0);
if (role === "cfkctl") await import("./cfkctl.ts");
else if (role === "cfkd") await import("./cfkd.ts");
else {
  process.stderr.write(wrongName(process.argv0));
  process.exit(2);
}
