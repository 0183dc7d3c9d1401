/**
 * cfkctl, the operator's client: builds the real Io (stdout, stderr, stdin,
 * files, Ctrl-C) and exits with the code cli/run.ts decides. Everything else
 * lives in cli/. Kept lean on purpose: `cfkctl status` must start in a few
 * milliseconds, so nothing here touches process.stdout (a Node stream, ~10 ms
 * to set up) or imports commander unless the command line needs it.
 */
import { runCli } from "./cli/run.ts";
import { wantsColour, writeFileAtomic, type Io } from "./cli/io.ts";
import { loadUtcOffset } from "./cli/localtime.ts";

const writes: Promise<unknown>[] = [];

/**
 * Is stdout a terminal? A character device other than /dev/null: cheaper
 * than isatty through node:tty, which loads the Node stream machinery.
 */
async function stdoutIsTerminal(): Promise<boolean> {
  try {
    const st = await Bun.stdout.stat();
    if (!st.isCharacterDevice()) return false;
    return st.rdev !== (await Bun.file("/dev/null").stat()).rdev;
  } catch {
    return false;
  }
}

const io: Io = {
  // console.log writes strings as they are, synchronously; it is what we want for stdout.
  out: (text) => console.log(text),
  // console.error would colour the text on a terminal.
  err: (text) => void writes.push(Bun.write(Bun.stderr, `${text}\n`)),
  colour: async () => wantsColour(await stdoutIsTerminal(), process.env),
  env: process.env,
  cwd: process.cwd(),
  now: () => Date.now(),
  utcOffset: () => loadUtcOffset(process.env, (path) => Bun.file(path).bytes()),
  readFile: (path) => Bun.file(path).text(),
  readStdin: () => Bun.stdin.text(),
  writeFile: writeFileAtomic,
  onInterrupt(cb) {
    process.on("SIGINT", cb);
    return () => void process.off("SIGINT", cb);
  },
};

// node:os only when HOME is unset: loading it costs ~2 ms of every start
const code = await runCli(process.argv.slice(2), { io, home: process.env.HOME || (await import("node:os")).homedir() });
await Promise.allSettled(writes);
process.exit(code);
