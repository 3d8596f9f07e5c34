/** Where progress goes. `main.ts` passes one backed by `@actions/core`; tests pass their own. */
export interface Logger {
  info(message: string): void
  warning(message: string): void
  debug(message: string): void
  group<T>(name: string, work: () => Promise<T>): Promise<T>
}

/**
 * An untrusted string (file name, branch, commit message) made safe to log: JSON quoting
 * escapes newlines, so nothing it holds can start a line and be read as a workflow command.
 */
export function quote(untrusted: string): string {
  return JSON.stringify(untrusted)
}
