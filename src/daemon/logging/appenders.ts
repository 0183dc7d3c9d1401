/**
 * The appenders log4js calls: each renders a record with its Log4perl
 * layout into its sink, if the record passes the appender's Threshold.
 *
 * A record is either one message (the daemon's events, proxy log lines) or
 * a whole batch of captured lines of one stream, all of the same category,
 * level and time. A batch is rendered line by line — every line its own
 * record with its own prefix — but for a layout whose message is a plain
 * `%m` the prefix and suffix are rendered once and the line bytes copied as
 * they are, which is what keeps up with a service writing at full speed.
 */
import type { Layout, RecordInfo } from "./pattern.ts";
import type { Sink } from "./sinks.ts";
import type { LineBatch } from "./lines.ts";
import type { Stream } from "./types.ts";

/** What travels through log4js as a LoggingEvent's data[0]. */
export type Rec = { text: string; pid: number | null } | { batch: LineBatch; pid: number | null; stream: Stream };

/** The parts of a log4js LoggingEvent an appender reads. */
export type AppenderEvent = { categoryName: string; level: { level: number; levelStr: string }; startTime: Date; data: unknown[] };

export type AppenderFn = (ev: AppenderEvent) => void;

/** `minLevel`: the Threshold as a log4js level value (0 = none). */
export function makeAppender(layout: Layout, sink: Sink, minLevel: number): AppenderFn {
  return (ev) => {
    if (ev.level.level < minLevel) return;
    const rec = ev.data[0] as Rec;
    const info: RecordInfo = {
      category: ev.categoryName,
      level: ev.level.levelStr,
      time: ev.startTime,
      pid: rec.pid,
      source: "text" in rec ? "cfkd" : rec.stream === "out" ? "stdout" : "stderr",
    };
    if ("text" in rec) return sink.writeText(layout.render(info, rec.text));
    if (layout.around) return copyLines(layout.around(info), rec.batch, sink);
    for (let i = 0; i < rec.batch.count; i++) sink.writeText(layout.render(info, rec.batch.text(i)));
  };
}

/** prefix + line bytes + suffix for every line, in one reservation. */
export function copyLines([before, after]: [string, string], b: LineBatch, sink: Sink): void {
  const pre = Buffer.from(before);
  const post = Buffer.from(after);
  const n = b.count;
  const size = b.bytes + n * (pre.length + post.length);
  const [out, start] = sink.reserve(size);
  const src = Buffer.from(b.buf.buffer, b.buf.byteOffset, b.buf.length);
  const bounds = b.bounds;
  let at = start;
  for (let i = 0; i < 2 * n; i += 2) {
    at += pre.copy(out, at);
    at += src.copy(out, at, bounds[i], bounds[i + 1]);
    at += post.copy(out, at);
  }
  sink.commit(at - start);
}
