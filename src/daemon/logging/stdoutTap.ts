/**
 * `--log-stdout` (on by default as PID 1): every line a service writes goes
 * to cfkd's stdout too, as one record `name | line` (`name:err | line` for
 * stderr), and cfkd's own events as `cfkd | level: message` — what a
 * container runtime collects. Written through a Sink in the same hub as the
 * configured appenders: lines stay whole and in order, and a slow reader
 * slows the services' capture down (backpressure) instead of losing lines.
 */
import { copyLines } from "./appenders.ts";
import type { LineBatch } from "./lines.ts";
import { Sink, type SinkHub } from "./sinks.ts";
import type { Level, Stream } from "./types.ts";

export class StdoutTap {
  private readonly sink: Sink;

  constructor(fd: number, hub: SinkHub) {
    this.sink = new Sink(fd, "stdout", false, hub);
  }

  lines(service: string, stream: Stream, batch: LineBatch): void {
    copyLines([stream === "out" ? `${service} | ` : `${service}:err | `, "\n"], batch, this.sink);
  }

  event(level: Level, message: string): void {
    this.sink.writeText(`cfkd | ${level}: ${message.replace(/\n/g, " ")}\n`);
  }
}
