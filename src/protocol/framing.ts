/**
 * Reply framing (SPEC §3): body lines end with `\n`; the one terminal line
 * is `OK\r\n` or `ERROR: <message>\r\n`. Shared by the daemon (writing) and
 * by clients (reading).
 */

export const OK_LINE = "OK\r\n";
const NEWLINES = /[\r\n]+/g;
const HAS_NEWLINE = /[\r\n]/;

/**
 * A reply: body lines, then either success or an error message. `later`:
 * the daemon has not finished the request; the real reply is what it
 * resolves to (the console answers nothing more on that connection until then).
 */
export type Reply = {
  body: string[];
  error?: string;
  follow?: Follow;
  later?: Promise<Reply>;
  /** bytes that may wait for a streaming reply's client before it is `congested` (default: the console's) */
  followHigh?: number;
};

/**
 * A reply that stays open (`tail -f`, `wait`): the console sends the body,
 * then calls `follow` with the connection's output, and body lines stream
 * until the client disconnects (then the returned function is called) or
 * the reply ends itself with `end` (its terminal line; the connection then
 * answers requests again). `tail -f` never ends.
 */
export type Follow = (out: FollowOutput) => () => void;

/** A streaming reply's way out. `congested`: the client is not keeping up. */
export type FollowOutput = {
  readonly congested: boolean;
  send(lines: string[]): void;
  /** finish the reply: `OK`, or `ERROR: error` */
  end(error?: string): void;
};

/** Render body lines as wire text (each kept on one line). */
export function formatBody(body: string[]): string {
  let out = "";
  for (const line of body) out += (HAS_NEWLINE.test(line) ? line.replace(NEWLINES, " ") : line) + "\n";
  return out;
}

/** Render a whole reply as wire text. */
export function formatReply(reply: Reply): string {
  return formatBody(reply.body) + (reply.error === undefined ? OK_LINE : errorLine(reply.error));
}

/** The terminal line for an error; the message is kept on one line. */
export function errorLine(message: string): string {
  return `ERROR: ${message.replace(NEWLINES, " ")}\r\n`;
}

/**
 * Incremental reader for clients: feed it text as it arrives, it yields one
 * Reply per terminal line. Body lines arrive through `onLine` as well, so a
 * streaming reply (`tail -f`) can be shown before it ends.
 */
export class ReplyReader {
  private buf = "";
  private body: string[] = [];
  constructor(
    private readonly onReply: (r: Reply) => void,
    private readonly onLine?: (line: string) => void,
    /** false: body lines go to onLine only (a long `tail -f` must not pile up) */
    private readonly keepBody = true,
  ) {}

  feed(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf("\n")) >= 0) {
      let line = this.buf.slice(0, nl);
      this.buf = this.buf.slice(nl + 1);
      const terminal = line.endsWith("\r");
      if (terminal) line = line.slice(0, -1);
      if (terminal && line === "OK") this.finish({ body: this.body });
      else if (terminal && line.startsWith("ERROR:")) this.finish({ body: this.body, error: line.slice(6).trim() });
      else {
        if (this.keepBody) this.body.push(line);
        this.onLine?.(line);
      }
    }
  }

  private finish(r: Reply): void {
    this.body = [];
    this.onReply(r);
  }
}
