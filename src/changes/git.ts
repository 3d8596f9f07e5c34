import { DeployError } from '../errors.js'
import type { CommandRunner } from '../command-runner.js'
import { parseNameStatus, type FileChange } from './name-status.js'

/** The few git operations change detection needs, always on explicit commit SHAs. */
export interface GitRepository {
  hasCommit(sha: string): Promise<boolean>
  /** Make `sha` available locally, fetching it shallowly by SHA if the clone lacks it. False when the remote cannot provide it. */
  ensureCommit(sha: string): Promise<boolean>
  /** Files that differ between two commits, tree to tree. */
  changedFiles(base: string, head: string): Promise<FileChange[]>
}

export function createGitRepository(runner: CommandRunner, workspace: string, remote = 'origin'): GitRepository {
  // No pager, prompt, external diff, textconv or rename detection: the output must be plain
  // NUL-separated paths whatever the user's git config says.
  const git = (args: readonly string[]) =>
    runner.run('git', ['-c', `safe.directory=${workspace}`, '-c', 'core.quotePath=false', ...args], {
      cwd: workspace,
      env: { GIT_TERMINAL_PROMPT: '0', GIT_PAGER: 'cat', LC_ALL: 'C' }
    })

  const hasCommit = async (sha: string) => (await git(['cat-file', '-e', `${sha}^{commit}`])).exitCode === 0

  return {
    hasCommit,
    async ensureCommit(sha) {
      if (await hasCommit(sha)) return true
      const fetched = await git(['fetch', '--no-tags', '--no-recurse-submodules', '--no-write-fetch-head', '--depth=1', remote, sha])
      return fetched.exitCode === 0 && (await hasCommit(sha))
    },
    async changedFiles(base, head) {
      const result = await git(['diff', '--name-status', '-z', '--no-renames', '--no-ext-diff', '--no-textconv', '--ignore-submodules=none', base, head, '--'])
      if (result.exitCode !== 0) {
        throw new DeployError(`git diff ${base} ${head} failed: ${result.stderr.trim()}`, 'Make sure actions/checkout runs before this step, in the same workspace.')
      }
      return parseNameStatus(result.stdout)
    }
  }
}
