import { describe, expect, test } from '@jest/globals'
import { compilePathFilter } from '../src/changes/path-filter.js'
import { parseNameStatus, type FileChange } from '../src/changes/name-status.js'

describe('compilePathFilter', () => {
  test.each<[string, string[], string, boolean]>([
    // A plain include
    ['include: a file in the folder', ['backend/**'], 'backend/src/app.ts', true],
    ['include: a file at the folder root', ['backend/**'], 'backend/Dockerfile', true],
    ['include: another folder', ['backend/**'], 'frontend/src/app.ts', false],
    ['include: a folder that only starts with the name', ['backend/**'], 'backend-tools/run.sh', false],
    ['include: a root file', ['backend/**'], 'README.md', false],
    ['include: one of several globs', ['backend/**', 'Dockerfile'], 'Dockerfile', true],
    // An exclude after an include
    ['exclude after include: Markdown in the folder', ['backend/**', '!**/*.md'], 'backend/README.md', false],
    ['exclude after include: nested Markdown', ['backend/**', '!**/*.md'], 'backend/docs/guide.md', false],
    ['exclude after include: code still counts', ['backend/**', '!**/*.md'], 'backend/src/app.ts', true],
    ['exclude after include: Markdown elsewhere was never in', ['backend/**', '!**/*.md'], 'docs/guide.md', false],
    // A list that starts with ! means "everything except"
    ['leading exclude: any code file', ['!**/*.md'], 'src/index.ts', true],
    ['leading exclude: a root file', ['!**/*.md'], 'package.json', true],
    ['leading exclude: root Markdown', ['!**/*.md'], 'README.md', false],
    ['leading exclude: nested Markdown', ['!**/*.md'], 'docs/a/b.md', false],
    ['leading excludes: both are out', ['!**/*.md', '!docs/**'], 'docs/diagram.png', false],
    ['leading excludes: the rest is in', ['!**/*.md', '!docs/**'], 'src/diagram.png', true],
    // The last matching pattern wins
    ['re-include: the file brought back', ['backend/**', '!backend/docs/**', 'backend/docs/openapi.yaml'], 'backend/docs/openapi.yaml', true],
    ['re-include: its siblings stay out', ['backend/**', '!backend/docs/**', 'backend/docs/openapi.yaml'], 'backend/docs/guide.md', false],
    ['re-include then exclude again', ['backend/**', '!**/*.md', 'backend/CHANGELOG.md', '!backend/**'], 'backend/CHANGELOG.md', false],
    ['exclude before include does not shadow it', ['!**/*.md', 'docs/api.md'], 'docs/api.md', true],
    // Dotfiles and dot folders count like any other file
    ['dotfiles: a dot folder', ['.github/**'], '.github/workflows/deploy.yml', true],
    ['dotfiles: a dotfile in a part', ['backend/**'], 'backend/.dockerignore', true],
    ['dotfiles: inside a dot folder in a part', ['frontend/**'], 'frontend/.storybook/main.js', true],
    ['dotfiles: ** matches a root dotfile', ['**'], '.env.example', true],
    ['dotfiles: an excluded dot folder', ['backend/**', '!**/.vscode/**'], 'backend/.vscode/settings.json', false],
    // Names as git reports them with -z
    ['a space in the name', ['frontend/**'], 'frontend/src/my file.js', true],
    ['a space in the glob', ['frontend/static assets/**'], 'frontend/static assets/logo.svg', true],
    ['a Hangul file name', ['frontend/**'], 'frontend/src/한글 파일.js', true],
    ['a Hangul glob', ['docs/한글/**'], 'docs/한글/소개.md', true],
    ['a Hangul file matched by extension', ['**/*.js'], 'frontend/src/한글 파일.js', true],
    ['a Hangul file excluded by extension', ['frontend/**', '!**/*.md'], 'frontend/문서/안내.md', false],
    ['a newline in a Markdown name is excluded', ['frontend/**', '!**/*.md'], 'frontend/notes\nold.md', false],
    ['a newline in a name elsewhere', ['backend/**'], 'frontend/line\nbreak.js', false]
  ])('%s: %j matches %j → %s', (_name, patterns, filePath, expected) => {
    expect(compilePathFilter(patterns)(filePath)).toBe(expected)
  })

  // picomatch's `**` is built from `.`; without the `s` flag a newline in a name would stop it.
  test.each([
    ['frontend/**', 'frontend/src/line\nbreak.js'],
    ['frontend/**', 'frontend/\nstarts-with-newline.js'],
    ['**', 'ends-with-newline\n'],
    ['!**/*.md', 'src/line\nbreak.ts']
  ])('%j matches %j (a newline in the name)', (pattern, filePath) => {
    expect(compilePathFilter([pattern])(filePath)).toBe(true)
  })

  test('an empty list matches nothing', () => {
    const filter = compilePathFilter([])
    expect(['backend/app.ts', 'README.md', '.github/x.yml'].filter(filter)).toEqual([])
  })

  test('one filter sorts a whole change list', () => {
    const filter = compilePathFilter(['frontend/**', '!**/*.md', 'frontend/public/robots.txt', '!frontend/public/**'])
    const changed = ['frontend/src/app.tsx', 'frontend/README.md', 'frontend/public/robots.txt', 'frontend/public/logo.png', 'backend/app.ts', 'frontend/src/한글 파일.js']
    expect(changed.filter(filter)).toEqual(['frontend/src/app.tsx', 'frontend/src/한글 파일.js'])
  })
})

describe('parseNameStatus', () => {
  /** `git diff --name-status -z` output: every field NUL-terminated. */
  const z = (...fields: string[]) => fields.map(f => `${f}\0`).join('')

  test.each<[string, string, FileChange[]]>([
    ['empty output', '', []],
    ['a lone NUL', '\0', []],
    ['added, modified, deleted and type-changed files', z('A', 'backend/new.ts', 'M', 'backend/app.ts', 'D', 'frontend/old.css', 'T', 'scripts/run.sh'), [
      { status: 'A', path: 'backend/new.ts' },
      { status: 'M', path: 'backend/app.ts' },
      { status: 'D', path: 'frontend/old.css' },
      { status: 'T', path: 'scripts/run.sh' }
    ]],
    ['an unmerged file', z('U', 'backend/conflict.ts'), [{ status: 'U', path: 'backend/conflict.ts' }]],
    ['a rename reports both paths: deleted where it left, added where it arrived', z('R100', 'backend/shared/util.ts', 'frontend/src/util.ts'), [
      { status: 'D', path: 'backend/shared/util.ts' },
      { status: 'A', path: 'frontend/src/util.ts' }
    ]],
    ['a rename with a similarity below 100', z('R087', 'old name.ts', 'new name.ts', 'M', 'after.ts'), [
      { status: 'D', path: 'old name.ts' },
      { status: 'A', path: 'new name.ts' },
      { status: 'M', path: 'after.ts' }
    ]],
    ['a copy reads both paths and adds the copy', z('C075', 'backend/template.ts', 'frontend/template.ts', 'M', 'frontend/app.ts'), [
      { status: 'A', path: 'frontend/template.ts' },
      { status: 'M', path: 'frontend/app.ts' }
    ]],
    ['names with spaces', z('M', 'frontend/src/my file.js', 'A', ' leading and trailing '), [
      { status: 'M', path: 'frontend/src/my file.js' },
      { status: 'A', path: ' leading and trailing ' }
    ]],
    ['names with newlines', z('M', 'frontend/line\nbreak.js', 'R100', 'a\nb.md', 'c\nd.md'), [
      { status: 'M', path: 'frontend/line\nbreak.js' },
      { status: 'D', path: 'a\nb.md' },
      { status: 'A', path: 'c\nd.md' }
    ]],
    ['non-ASCII names, verbatim', z('A', 'frontend/src/한글 파일.js', 'M', 'docs/café/naïve.md', 'D', 'emoji/🚀.txt'), [
      { status: 'A', path: 'frontend/src/한글 파일.js' },
      { status: 'M', path: 'docs/café/naïve.md' },
      { status: 'D', path: 'emoji/🚀.txt' }
    ]],
    ['a name that looks like a status letter', z('M', 'R', 'A', 'C'), [
      { status: 'M', path: 'R' },
      { status: 'A', path: 'C' }
    ]],
    ['output without the final NUL', 'M\0backend/app.ts', [{ status: 'M', path: 'backend/app.ts' }]]
  ])('%s', (_name, output, expected) => {
    expect(parseNameStatus(output)).toEqual(expected)
  })

  test.each([
    ['a status with no path', 'M', 'truncated M record in git diff output'],
    ['a rename with one path', 'R100\0old.ts', 'truncated R record in git diff output'],
    ['a copy with no paths', 'C100', 'truncated C record in git diff output']
  ])('%s is an error', (_name, output, message) => {
    expect(() => parseNameStatus(output)).toThrow(message)
  })
})
