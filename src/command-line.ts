import { parse, type ParseEntry } from 'shell-quote'
import { DeployError } from './errors.js'

const NO_SHELL = 'commands run without a shell: put the steps in a package.json script, e.g. "build": "..."'

/** `NAME=value tool …`: a shell sets the variable for the tool; here it would be run as the tool. */
const LEADING_ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*=/

/** Thrown by the variable lookup: shell-quote would otherwise expand `$VAR` to "" without a word. */
class Expansion extends Error {
  constructor(readonly variable: string) {
    super(variable)
  }
}

/**
 * A command line from the config split into argv, as a shell would split it (quotes and
 * backslashes honoured) but without running one: anything only a shell can do — chaining,
 * pipes, redirects, globs, comments, `$VAR`, command substitution, `~` — is refused with the
 * config key to fix, rather than passed on as a literal word the tool would misread.
 */
export function splitCommandLine(text: string, key: string): string[] {
  const refuse = (what: string): never => {
    throw new DeployError(`${key} ${JSON.stringify(text)} uses ${what}, and ${NO_SHELL}.`, `Change ${key} in the config to one command, such as "npm run build", and move the rest into package.json scripts.`)
  }

  // A shell would run each line as its own command; shell-quote would join them into one.
  if (/[\r\n]/.test(text)) refuse('more than one line')
  const unquoted = shellOnlySyntax(text)
  if (unquoted) refuse(unquoted)

  let entries: ParseEntry[]
  try {
    entries = parse(text, (name): string => {
      throw new Expansion(name)
    })
  } catch (error) {
    if (!(error instanceof Expansion)) throw error
    return refuse(error.variable ? `variable expansion ($${error.variable})` : 'a "$" expansion')
  }

  const words: string[] = []
  for (const entry of entries) {
    if (typeof entry === 'string') words.push(entry)
    else if ('comment' in entry) refuse(`a comment (#${entry.comment})`)
    else if (entry.op === 'glob') refuse(`a glob (${entry.pattern})`)
    else refuse(`the shell operator "${entry.op}"`)
  }

  const tool = words[0]
  if (tool === undefined || tool === '') {
    throw new DeployError(`${key} is empty: there is no command to run.`, `Set ${key} in the config to a command, such as "npm run build".`)
  }
  if (LEADING_ASSIGNMENT.test(tool)) refuse(`a variable assignment (${tool.split('=')[0]}=…)`)
  return words
}

/**
 * What shell-quote would let through as literal text although a shell treats it specially:
 * an unterminated quote, backticks, a leading `~`. Quotes are tracked as a shell does:
 * nothing is special inside '…'; inside "…" only `\`, `"`, `$` and backticks are.
 */
function shellOnlySyntax(text: string): string | undefined {
  let quote: "'" | '"' | undefined
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!
    if (quote === "'") {
      if (char === "'") quote = undefined
      continue
    }
    if (char === '\\') {
      i++
      continue
    }
    if (char === '`') return 'command substitution (`…`)'
    if (quote === '"') {
      if (char === '"') quote = undefined
      continue
    }
    if (char === "'" || char === '"') quote = char
    else if (char === '~' && (i === 0 || /\s/.test(text[i - 1]!))) return 'a home directory (~)'
  }
  return quote ? `an unterminated ${quote} quote` : undefined
}
