import { DeployError } from '../errors.js'
import type { CommandRunner } from '../command-runner.js'
import { parseNameStatus, type FileChange } from './name-status.js'

/** Whether a commit is available locally, and why not when it is not. */
export type CommitAvailability = { available: true } | { available: false; reason: string }

/** The few git operations change detection needs, always on explicit commit SHAs. */
export interface GitRepository {
  hasCommit(sha: string): Promise<boolean>
  /** Make `sha` available locally, fetching it shallowly by SHA if the clone lacks it. */
  ensureCommit(sha: string): Promise<CommitAvailability>
  /** Files that differ between two commits, tree to tree. */
  changedFiles(base: string, head: string): Promise<FileChange[]>
  /** Of commits already available, the one committed first. */
  oldestCommit(shas: readonly string[]): Promise<string>
  /**
   * Whether `ancestor` is in the history of `descendant`, deepening a shallow clone as far as
   * needed (a bounded number of fetches); undefined when that could not be settled.
   */
  isAncestor(ancestor: string, descendant: string): Promise<boolean | undefined>
}

/** History fetched, in commits, while looking for an ancestor in a shallow clone. */
const DEEPEN_STEPS = [64, 1024, 16384]

export function createGitRepository(runner: CommandRunner, workspace: string, remote = 'origin'): GitRepository {
  // No pager, prompt, external diff, textconv or rename detection: the output must be plain
  // NUL-separated paths whatever the user's git config says.
  const git = (args: readonly string[]) =>
    runner.run('git', ['-c', `safe.directory=${workspace}`, '-c', 'core.quotePath=false', ...args], {
      cwd: workspace,
      env: { GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C' }
    })

  const hasCommit = async (sha: string) => (await git(['cat-file', '-e', `${sha}^{commit}`])).exitCode === 0

  const fetchCommit = async (sha: string): Promise<CommitAvailability> => {
    if (await hasCommit(sha)) return { available: true }
    const fetched = await git(['fetch', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', '--depth=1', remote, sha])
    if (fetched.exitCode === 0 && (await hasCommit(sha))) return { available: true }
    const message = fetched.stderr.trim().split('\n').pop() || `git fetch exited ${fetched.exitCode}`
    return { available: false, reason: message }
  }

  // Fetches run one at a time (two into one shallow clone fight over its shallow.lock) and
  // each SHA is fetched once however many parts ask for it.
  const fetches = new Map<string, Promise<CommitAvailability>>()
  let queue: Promise<unknown> = Promise.resolve()
  const diffs = new Map<string, Promise<FileChange[]>>()

  const ensureCommit = (sha: string): Promise<CommitAvailability> => {
    let fetch = fetches.get(sha)
    if (!fetch) {
      fetch = queue.then(() => fetchCommit(sha))
      queue = fetch
      fetches.set(sha, fetch)
    }
    return fetch
  }

  return {
    hasCommit,
    ensureCommit,
    changedFiles(base, head) {
      const key = `${base}..${head}`
      let diff = diffs.get(key)
      if (!diff) {
        diff = git(['diff', '--name-status', '-z', '--no-renames', '--no-ext-diff', '--no-textconv', '--ignore-submodules=none', base, head, '--']).then(result => {
          if (result.exitCode !== 0) {
            throw new DeployError(`git diff ${base} ${head} failed: ${result.stderr.trim()}`, 'Make sure actions/checkout runs before this step, in the same workspace.')
          }
          return parseNameStatus(result.stdout)
        })
        diffs.set(key, diff)
      }
      return diff
    },
    async oldestCommit(shas) {
      const result = await git(['show', '--no-patch', '--format=%ct %H', ...shas, '--'])
      const dated = result.stdout
        .split('\n')
        .map(line => line.split(' '))
        .filter((fields): fields is [string, string] => fields.length === 2)
        .sort((a, b) => Number(a[0]) - Number(b[0]))
      return dated[0]?.[1] ?? shas[0]!
    },
    async isAncestor(ancestor, descendant) {
      if (ancestor === descendant) return true
      for (const sha of [ancestor, descendant]) if (!(await ensureCommit(sha)).available) return undefined
      for (let step = 0; ; step++) {
        const answer = await git(['merge-base', '--is-ancestor', ancestor, descendant])
        if (answer.exitCode === 0) return true
        if (answer.exitCode !== 1) return undefined
        const shallow = (await git(['rev-parse', '--is-shallow-repository'])).stdout.trim() === 'true'
        if (!shallow) return false
        const depth = DEEPEN_STEPS[step]
        if (depth === undefined) return undefined
        // One at a time with the other fetches: they share the clone's shallow file.
        const deepened = queue.then(() => git(['fetch', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', `--depth=${depth}`, remote, descendant]))
        queue = deepened
        if ((await deepened).exitCode !== 0) return undefined
      }
    }
  }
}
