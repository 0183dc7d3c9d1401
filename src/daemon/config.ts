/**
 * `cfkd -c FILE` (SPEC §2): the statements of a config file, run before
 * clients are accepted; `${BASE}` is the file's directory.
 */
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Controller } from "./controller.ts";
import { StartError } from "./os/home.ts";
import { parseRequest, cleanLine } from "../protocol/request.ts";
import { explainStatement } from "../protocol/properties.ts";

/** `-c FILE`: run each statement; the first error aborts start-up with file:line. */
export function loadConfig(controller: Controller, file: string): void {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new StartError(`cannot read config ${file}: ${(e as Error).message}`);
  }
  const base = dirname(resolve(file));
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replaceAll("${BASE}", base);
    if (cleanLine(line) === "") continue;
    const reply = controller.execute(parseRequest(line));
    // the wire's words, and which property and what it allows (src/protocol/properties.ts)
    if (reply.error !== undefined) throw new StartError(`${file}:${i + 1}: ${explainStatement(line, reply.error)}`);
  }
}
