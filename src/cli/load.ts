/**
 * `cfkctl load FILE|-` (SPEC §9): which lines are sent, and what ${BASE}
 * becomes. Pure; commands.ts sends them one by one.
 */
import { cleanLine } from "../protocol/request.ts";

export type Statement = { line: number; text: string };

/**
 * The statements of a file: every line that is not blank or a comment,
 * with each `${BASE}` replaced by `base`, numbered from 1.
 */
export function statements(text: string, base: string): Statement[] {
  const out: Statement[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, "");
    if (cleanLine(raw) === "") continue;
    out.push({ line: i + 1, text: raw.replaceAll("${BASE}", base) });
  }
  return out;
}
