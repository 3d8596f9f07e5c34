import type { CommandOptions, CommandResult, CommandRunner } from '../src/command-runner.js'

export interface RecordedCommand {
  tool: string
  args: string[]
  options: CommandOptions
}

/** A CommandRunner that records every call and lets `answer` run it (for real, or not). */
export function recordingRunner(answer: (call: RecordedCommand) => CommandResult | Promise<CommandResult>): CommandRunner & { calls: RecordedCommand[] } {
  const calls: RecordedCommand[] = []
  return {
    calls,
    async run(tool, args, options = {}) {
      const call = { tool, args: [...args], options }
      calls.push(call)
      return answer(call)
    }
  }
}

export const succeeded: CommandResult = { exitCode: 0, stdout: '', stderr: '' }
