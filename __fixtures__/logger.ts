import type { Logger } from '../src/logger.js'

export interface LoggedLine {
  level: 'info' | 'warning' | 'debug'
  message: string
}

/** A Logger that keeps what it is told, for tests to read back; groups just run their work. */
export function recordingLogger(): Logger & { lines: LoggedLine[]; messages(level: LoggedLine['level']): string[] } {
  const lines: LoggedLine[] = []
  return {
    lines,
    messages: level => lines.filter(line => line.level === level).map(line => line.message),
    info: message => void lines.push({ level: 'info', message }),
    warning: message => void lines.push({ level: 'warning', message }),
    debug: message => void lines.push({ level: 'debug', message }),
    group: (_name, work) => work()
  }
}
