// Real git repositories for tests, the demo and the benchmarks: a bare "origin" as GitHub
// holds it, a working clone that commits and pushes, and depth-1 checkouts made the way
// actions/checkout makes them.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync, cpSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'

export const ZERO_SHA = '0'.repeat(40)

const gitEnv = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Octo Cat',
  GIT_AUTHOR_EMAIL: 'octocat@example.com',
  GIT_COMMITTER_NAME: 'Octo Cat',
  GIT_COMMITTER_EMAIL: 'octocat@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0'
}

/** Run git with an argv array; returns trimmed stdout. */
export function git(cwd, args, options = {}) {
  return execFileSync('git', ['-c', 'init.defaultBranch=main', '-c', 'advice.detachedHead=false', ...args], {
    cwd,
    env: { ...gitEnv, HOME: cwd, ...options.env },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['pipe', 'pipe', 'pipe'],
    input: options.input
  }).trimEnd()
}

/**
 * A throwaway estate: `origin` (bare), `work` (a full clone that commits and pushes).
 * `files` seeds the first commit: { 'path/name': 'content' }, or `from` copies a folder.
 * @param {{ files?: Record<string, string>, from?: string, prefix?: string }} [options]
 */
export function createEstate({ files = {}, from, prefix = 'apd-' } = {}) {
  const root = mkdtempSync(path.join(tmpdir(), prefix))
  const origin = path.join(root, 'origin.git')
  const work = path.join(root, 'work')
  git(root, ['init', '--quiet', '--bare', origin])
  mkdirSync(work)
  git(work, ['init', '--quiet'])
  git(work, ['remote', 'add', 'origin', `file://${origin}`])
  if (from) cpSync(from, work, { recursive: true, filter: src => !/[/\\](node_modules|build|dist)$/.test(src) })
  writeFiles(work, files)

  let checkouts = 0
  // Commits a minute apart, as in real history (and the same SHAs on every run).
  let clock = Date.parse('2026-01-05T09:00:00Z') / 1000
  const nextDate = () => `${(clock += 60)} +0000`
  const estate = {
    root,
    origin,
    work,
    /** Apply changes ({ path: content | null to delete }) and commit; returns the new SHA. */
    commit(changes = {}, message = 'change') {
      writeFiles(work, changes)
      git(work, ['add', '--all'])
      const date = nextDate()
      git(work, ['commit', '--quiet', '--allow-empty', '-m', message], { env: { GIT_AUTHOR_DATE: date, GIT_COMMITTER_DATE: date } })
      return estate.head()
    },
    head() {
      return git(work, ['rev-parse', 'HEAD'])
    },
    /** Any other git command in the working clone (merge, mv, …). */
    git(args) {
      return git(work, args)
    },
    branch(name, startPoint = 'HEAD') {
      git(work, ['checkout', '--quiet', '-B', name, startPoint])
    },
    /** Push HEAD to a ref on origin; returns the ref's previous SHA there (ZERO_SHA when new). */
    push(ref, { force = false } = {}) {
      const full = ref.startsWith('refs/') ? ref : `refs/heads/${ref}`
      let before = ZERO_SHA
      try {
        before = git(origin, ['rev-parse', '--verify', '--quiet', `${full}^{commit}`])
      } catch {
        // the ref is new
      }
      git(work, ['push', '--quiet', ...(force ? ['--force'] : []), 'origin', `HEAD:${full}`])
      return before
    },
    tag(name) {
      git(work, ['tag', '-a', name, '-m', name])
      git(work, ['push', '--quiet', 'origin', `refs/tags/${name}`])
      return git(work, ['rev-parse', `${name}^{commit}`])
    },
    /** A fresh depth-1 checkout of `sha`, as actions/checkout leaves the runner's workspace. */
    checkout(sha, ref = 'refs/heads/main') {
      const workspace = path.join(root, `workspace-${++checkouts}`)
      mkdirSync(workspace)
      git(workspace, ['init', '--quiet'])
      git(workspace, ['remote', 'add', 'origin', `file://${origin}`])
      git(workspace, ['fetch', '--quiet', '--no-tags', '--depth=1', 'origin', sha])
      const local = ref.startsWith('refs/heads/') ? ref.slice('refs/heads/'.length) : undefined
      if (local) git(workspace, ['checkout', '--quiet', '--force', '-B', local, sha])
      else git(workspace, ['checkout', '--quiet', '--force', '--detach', sha])
      return workspace
    },
    dispose() {
      rmSync(root, { recursive: true, force: true })
    }
  }
  if (from || Object.keys(files).length > 0) estate.commit({}, 'initial')
  return estate
}

function writeFiles(dir, files) {
  for (const [name, content] of Object.entries(files)) {
    const target = path.join(dir, name)
    if (content === null) {
      rmSync(target, { force: true, recursive: true })
      continue
    }
    mkdirSync(path.dirname(target), { recursive: true })
    writeFileSync(target, content)
  }
}
