/**
 * cfkctl (minimal): sends `command ARGS...` to the daemon and prints the
 * reply. The full client lives in cli/.
 */
import { join } from "node:path";
import { homedir } from "node:os";
import { parseAddress, formatAddress } from "./protocol/address.ts";
import { ReplyReader, type Reply } from "./protocol/framing.ts";

async function main(argv: string[]): Promise<number> {
  let address = process.env.CFKD_ADDRESS ?? `unix:${join(homedir(), ".controlfreak", "sock")}`;
  const i = argv.indexOf("--address");
  if (i >= 0) {
    address = argv[i + 1] ?? "";
    argv.splice(i, 2);
  }
  if (argv.length === 0) {
    process.stderr.write("usage: cfkctl [--address ADDR] COMMAND [ARGS...]\n");
    return 2;
  }
  const a = parseAddress(address);
  if (a.kind === "error") {
    process.stderr.write(`cfkctl: ${a.message}\n`);
    return 2;
  }
  let done!: (r: Reply) => void;
  const reply = new Promise<Reply>((r) => (done = r));
  const reader = new ReplyReader(done);
  const handlers = { data: (_s: unknown, d: Buffer) => reader.feed(d.toString()) };
  let sock;
  try {
    sock = a.kind === "unix" ? await Bun.connect({ unix: a.path, socket: handlers }) : await Bun.connect({ hostname: a.host, port: a.port, socket: handlers });
  } catch {
    process.stderr.write(`cfkctl: cannot reach the daemon at ${formatAddress(a)}; is cfkd running?\n`);
    return 3;
  }
  sock.write(`command ${argv.join(" ")}\n`);
  const r = await reply;
  sock.end();
  for (const l of r.body) process.stdout.write(l + "\n");
  if (r.error !== undefined) {
    process.stderr.write(`error: ${r.error}\n`);
    return 1;
  }
  return 0;
}

process.exit(await main(process.argv.slice(2)));
