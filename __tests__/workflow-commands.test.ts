/**
 * What the runner would obey in a log line (`::command::` at the start of a line after
 * whitespace; legacy `##[command]` anywhere in it) never comes out of the action's logging.
 */
import { describe, expect, test } from '@jest/globals'
import { inertLogText, quote } from '../src/logger.js'

/** A line the runner reads as a command, as actions/runner's ActionCommand parses them. */
const isCommand = (line: string) => /^\s*::[^:]*::/.test(line) || /##\[[^\]]*\]/.test(line)
/** How the runner splits output into lines (.NET ReadLine). */
const runnerLines = (text: string) => text.split(/\r\n|\r|\n/)

const HOSTILE = [
  'frontend/src/evil\n::set-output name=result::deployed\n::error::pwned.js',
  '\n::add-mask::x',
  'x\r::stop-commands::tok',
  'a\r\n  \t::warning::indented',
  '##[set-output name=result;]deployed',
  'text ##[error]mid-line',
  '##[stop-commands]tok',
  '::group::fake',
  '%0A::set-output name=result::deployed',
  '$(touch pwned) `touch pwned`; a | b & c > d',
  'feature/$(touch${IFS}pwned)',
  '"quoted"\\back\u0000nul\u2028sep',
  '한글 모듈.py'
]

describe('quote', () => {
  test.each(HOSTILE)('%j: one line, no command, and JSON.parse gives it back', hostile => {
    const quoted = quote(hostile)
    expect(runnerLines(quoted)).toHaveLength(1)
    expect(isCommand(quoted)).toBe(false)
    expect(isCommand(`  ${quoted}`)).toBe(false)
    expect(JSON.parse(quoted)).toBe(hostile)
  })
})

describe('inertLogText', () => {
  test.each(HOSTILE)('%j inside a message: no line of it is a command', hostile => {
    const message = `plan: ${hostile}\n${hostile}\nend`
    const inert = inertLogText(message)
    for (const line of runnerLines(inert)) expect([line, isCommand(line)]).toEqual([line, false])
  })

  test('ordinary lines are left as they are', () => {
    const plan = 'Plan for environment prod (from branch) at abc\nbackend: DEPLOY (before) — 1 changed file\n  image   r/a:abc\n  build   backend/Dockerfile (context backend)'
    expect(inertLogText(plan)).toBe(plan)
    expect(inertLogText('  "frontend/src/evil\\n::set-output"')).toBe('  "frontend/src/evil\\n::set-output"')
  })

  test('a line that would start a command is quoted whole, its line breaks kept', () => {
    expect(inertLogText('build x\n::set-output name=result::deployed\r\nnext')).toBe('build x\n"::set-output name=result::deployed"\r\nnext')
    expect(inertLogText('a ##[error]b')).toBe('a ##\\u005berror]b')
  })
})
