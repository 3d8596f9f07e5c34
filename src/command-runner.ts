import { getExecOutput } from '@actions/exec'

export interface CommandResult {
  exitCode: number
  stdout: string
  stderr: string
}

export interface CommandOptions {
  cwd?: string
  env?: Record<string, string>
  input?: Buffer
}

/** The last lines a command printed (stdout, then stderr), blank ones left out, indented under a message. */
export function outputTail(result: Pick<CommandResult, 'stdout' | 'stderr'>, lineCount = 20, indent = '    '): string {
  const lines = `${result.stdout}\n${result.stderr}`.split(/\r?\n/).filter(line => line.trim() !== '')
  return lines
    .slice(-lineCount)
    .map(line => `${indent}${line.trimEnd()}`)
    .join('\n')
}

/** Runs a tool with an argv array: never a shell, so no argument is ever interpreted. */
export interface CommandRunner {
  run(tool: string, args: readonly string[], options?: CommandOptions): Promise<CommandResult>
}

/** The real runner. Output is captured, not echoed: callers decide what is worth logging. */
export function createCommandRunner(): CommandRunner {
  return {
    async run(tool, args, options = {}) {
      const result = await getExecOutput(tool, [...args], {
        cwd: options.cwd,
        env: options.env ? { ...(process.env as Record<string, string>), ...options.env } : undefined,
        input: options.input,
        silent: true,
        ignoreReturnCode: true
      })
      return { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr }
    }
  }
}
