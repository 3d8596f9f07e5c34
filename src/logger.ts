/** Where progress goes. `main.ts` passes one backed by `@actions/core`; tests pass their own. */
export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  group<T>(name: string, work: () => Promise<T>): Promise<T>
}

/**
 * The runner reads a log line as a workflow command when it starts with `::` (after leading
 * whitespace), and, in the legacy `##[command]` form, wherever `##[` appears in the line.
 */
const COMMAND_START = /^\s*::/
const LEGACY_COMMAND = /##\[/g
/** `[` as a JSON escape: the text still parses back to the same string, and reads as no command. */
const LEGACY_ESCAPED = '##\\u005b'

/**
 * An untrusted string (file name, branch, commit message) made safe to log: JSON quoting
 * escapes newlines, so nothing it holds can start a line and be read as a workflow command,
 * and the `##[` of a legacy command is written as `##\u005b`. `JSON.parse` gives the string back.
 */
export function quote(untrusted: string): string {
  return JSON.stringify(untrusted).replace(LEGACY_COMMAND, LEGACY_ESCAPED)
}

/**
 * A log message with nothing the runner would obey: a line that would start a workflow
 * command is JSON-quoted, and a legacy `##[` anywhere is escaped. Every plain log line of the
 * action goes through this, so a value that slipped past `quote()` (a config string with a
 * line break, text an Azure API returned) is still only text.
 */
export function inertLogText(message: string): string {
  // The runner splits lines as .NET's ReadLine does: at \n, \r\n and a lone \r.
  return message
    .split(/(\r\n|\r|\n)/)
    .map((part, index) => (index % 2 === 1 ? part : COMMAND_START.test(part) ? quote(part) : part.replace(LEGACY_COMMAND, LEGACY_ESCAPED)))
    .join('')
}
