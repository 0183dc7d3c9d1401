/**
 * A tiny stand-in for cfkd on a real unix socket: it records every request
 * line and answers with what the test's handler returns (raw wire text).
 * Used where the real daemon cannot show what we test: the exact wire a
 * client sends, and replies the daemon of this branch does not give yet
 * (tail).
 */
import type { Socket, UnixSocketListener } from "bun";
import { join } from "node:path";
import { tempDir } from "../harness.ts";

type Conn = { buf: string };

export class FakeCfkd implements Disposable {
  readonly lines: string[] = [];
  readonly conns = new Set<Socket<Conn>>();
  private listener: UnixSocketListener<Conn>;
  private dir = tempDir("fake-cfkd-");
  readonly path = join(this.dir.path, "sock");

  /** `answer` returns wire text to send back (may be "" to send nothing yet). */
  constructor(answer: (line: string, sock: Socket<Conn>) => string) {
    const self = this;
    this.listener = Bun.listen<Conn>({
      unix: this.path,
      socket: {
        open(s) {
          s.data = { buf: "" };
          self.conns.add(s);
        },
        data(s, d) {
          s.data.buf += d.toString();
          let nl: number;
          while ((nl = s.data.buf.indexOf("\n")) >= 0) {
            const raw = s.data.buf.slice(0, nl + 1);
            s.data.buf = s.data.buf.slice(nl + 1);
            self.lines.push(raw);
            const out = answer(raw.replace(/\r?\n$/, ""), s);
            if (out) s.write(out);
          }
        },
        close(s) {
          self.conns.delete(s);
        },
      },
    });
  }

  [Symbol.dispose](): void {
    this.listener.stop(true);
    this.dir[Symbol.dispose]();
  }
}
