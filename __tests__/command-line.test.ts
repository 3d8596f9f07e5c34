/** splitCommandLine: argv as a shell would split it, and a clear refusal of anything that needs a shell. */
import { describe, expect, test } from '@jest/globals'
import { DeployError } from '../src/errors.js'
import { splitCommandLine } from '../src/command-line.js'
import { thrownBy } from '../__fixtures__/errors.js'

const KEY = 'parts.frontend.build'

describe('splitCommandLine splits like a shell', () => {
  test.each<[string, string, string[]]>([
    ['the default install', 'npm ci', ['npm', 'ci']],
    ['the default build', 'npm run build', ['npm', 'run', 'build']],
    ['runs of blanks and tabs', '  npm \t run   build ', ['npm', 'run', 'build']],
    ['double quotes keep a space', 'npm run build -- --mode "prod eu"', ['npm', 'run', 'build', '--', '--mode', 'prod eu']],
    ['single quotes keep a space', "yarn build --title 'My site'", ['yarn', 'build', '--title', 'My site']],
    ['a quoted part of a word', '--base="/my app/"', ['--base=/my app/']],
    ['a backslash escapes a space', 'vite build --outDir my\\ dist', ['vite', 'build', '--outDir', 'my dist']],
    ['an empty quoted argument', 'tool ""', ['tool', '']],
    ['single quotes keep $ literal', "tool '$HOME' '&&' '*.js'", ['tool', '$HOME', '&&', '*.js']],
    ['an escaped $ is literal', 'tool \\$HOME', ['tool', '$HOME']],
    ['an escaped quote inside double quotes', 'tool "say \\"hi\\""', ['tool', 'say "hi"']],
    ['quoted operators are words', 'tool "a|b" "x;y" "#1"', ['tool', 'a|b', 'x;y', '#1']],
    ['a quoted glob is a word', 'eslint "src/**/*.ts"', ['eslint', 'src/**/*.ts']],
    ['a quoted tilde is a word', 'tool "~/x"', ['tool', '~/x']],
    ['an = in a later word is an argument', 'vite build --mode=production', ['vite', 'build', '--mode=production']],
    ['a tilde inside a word is literal', 'tool a~b', ['tool', 'a~b']]
  ])('%s: %j', (_name, text, argv) => {
    expect(splitCommandLine(text, KEY)).toEqual(argv)
  })
})

describe('splitCommandLine refuses what needs a shell', () => {
  test.each<[string, string, string]>([
    ['&& chains commands', 'npm ci && npm run build', 'the shell operator "&&"'],
    ['|| chains commands', 'npm test || true', 'the shell operator "||"'],
    ['; chains commands', 'npm ci; npm run build', 'the shell operator ";"'],
    ['| pipes', 'npm run build | tee log', 'the shell operator "|"'],
    ['> redirects', 'npm run build > log', 'the shell operator ">"'],
    ['2>&1 redirects', 'npm run build 2>&1', 'the shell operator ">&"'],
    ['< redirects', 'tool < in', 'the shell operator "<"'],
    ['& backgrounds', 'npm run build &', 'the shell operator "&"'],
    ['( ) runs a subshell', '(cd web && npm ci)', 'the shell operator "("'],
    ['* globs', 'cp build/* out', 'a glob (build/*)'],
    ['? globs', 'rm file?.txt', 'a glob (file?.txt)'],
    ['# comments', 'npm ci # install', 'a comment (# install)'],
    ['$VAR expands', 'npm run build -- --base $BASE_URL', 'variable expansion ($BASE_URL)'],
    ['${VAR} expands', 'npm run build -- --base ${BASE_URL}', 'variable expansion ($BASE_URL)'],
    ['"$VAR" expands inside double quotes', 'tool "$HOME/x"', 'variable expansion ($HOME)'],
    ['$(…) substitutes', 'tool $(git rev-parse HEAD)', 'a "$" expansion'],
    ['`…` substitutes', 'tool `git rev-parse HEAD`', 'command substitution (`…`)'],
    ['`…` substitutes inside double quotes', 'tool "`date`"', 'command substitution (`…`)'],
    ['~ expands', 'tool ~/cache', 'a home directory (~)'],
    ['NAME=value sets a variable', 'NODE_ENV=production npm run build', 'a variable assignment (NODE_ENV=…)'],
    ['a newline separates commands', 'npm ci\nnpm run build', 'more than one line'],
    ['a quoted newline is still two lines', 'node -e "a\nb"', 'more than one line'],
    ['an unterminated double quote', 'tool "open', 'an unterminated " quote'],
    ["an unterminated single quote", "tool 'open", "an unterminated ' quote"]
  ])('%s: %j', (_name, text, what) => {
    const error = thrownBy(DeployError, () => splitCommandLine(text, KEY))
    expect(error.message).toContain(`${KEY} ${JSON.stringify(text)} uses ${what}`)
    expect(error.message).toContain('commands run without a shell: put the steps in a package.json script, e.g. "build": "..."')
    expect(error.hint).toContain(KEY)
  })

  test.each(['', '   ', '""'])('an empty command line (%j) names the key', text => {
    const error = thrownBy(DeployError, () => splitCommandLine(text, 'parts.frontend.install'))
    expect(error.message).toBe('parts.frontend.install is empty: there is no command to run.')
  })
})
