// Runs the bundled action exactly as a GitHub runner does: a node subprocess of
// dist/index.js with INPUT_* (defaults from action.yml filled in), GITHUB_* variables, an
// event payload file, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files to read back.
import { spawn } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
const actionYml = parse(readFileSync(path.join(repoRoot, 'action.yml'), 'utf8'))

/** How a runner starts the action: node on action.yml's `runs.main`. */
export const actionCommand = { command: process.execPath, args: [path.join(repoRoot, actionYml.runs.main)] }

/** The workflow token the runner would pass as `github-token`'s default; tests scan logs for it. */
export const RUNNER_TOKEN = 'ghs_runnerTokenForTests0000000000000000'

/** A push payload shaped like GitHub's (the fields actions read). */
export function pushPayload({ ref, before, after, forced = false, repository = 'octo-org/estate', message = 'change' }) {
  const zero = /^0+$/.test(before)
  return {
    ref,
    before,
    after,
    created: zero,
    deleted: false,
    forced,
    base_ref: null,
    compare: `https://github.com/${repository}/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`,
    commits: [{ id: after, message, distinct: true, author: { name: 'Octo Cat', email: 'octocat@example.com' } }],
    head_commit: { id: after, message, tree_id: after },
    repository: { full_name: repository, name: repository.split('/')[1], default_branch: 'main', owner: { login: repository.split('/')[0] } },
    pusher: { name: 'octocat' },
    sender: { login: 'octocat' }
  }
}

/** Parse a GITHUB_OUTPUT file (`name<<delimiter` blocks, as @actions/core writes them). */
function parseOutputs(text) {
  /** @type {Record<string, string>} */
  const outputs = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const heredoc = /^([^<=]+)<<(.+)$/.exec(lines[i])
    if (heredoc) {
      const [, name, delimiter] = heredoc
      const value = []
      while (++i < lines.length && lines[i] !== delimiter) value.push(lines[i])
      outputs[name] = value.join('\n')
    } else if (lines[i].includes('=')) {
      const at = lines[i].indexOf('=')
      outputs[lines[i].slice(0, at)] = lines[i].slice(at + 1)
    }
  }
  return outputs
}

/**
 * @typedef {{ exitCode: number, stdout: string, stderr: string, outputs: Record<string, string>, summary: string }} ActionRun
 * @typedef {{ workspace: string, sha: string, ref?: string, inputs?: Record<string, string>, event?: { name: string, payload: object }, env?: Record<string, string> }} RunnerOptions
 */

/**
 * The environment a runner gives a JavaScript action: INPUT_* (action.yml defaults filled
 * in), GITHUB_* variables, and fresh event, output and summary files.
 * @param {RunnerOptions} options
 */
export function runnerEnvironment({ workspace, inputs = {}, event = { name: 'push', payload: {} }, sha, ref = 'refs/heads/main', env = {} }) {
  const temp = mkdtempSync(path.join(tmpdir(), 'apd-runner-'))
  const eventPath = path.join(temp, 'event.json')
  const outputPath = path.join(temp, 'output')
  const summaryPath = path.join(temp, 'summary.md')
  writeFileSync(eventPath, JSON.stringify(event.payload))
  writeFileSync(outputPath, '')
  writeFileSync(summaryPath, '')

  /** @type {Record<string, string>} */
  const runnerEnv = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? temp,
    ...(process.env.NODE_EXTRA_CA_CERTS ? { NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS } : {}),
    CI: 'true',
    GITHUB_ACTIONS: 'true',
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_SHA: sha,
    GITHUB_REF: ref,
    GITHUB_REF_NAME: ref.replace(/^refs\/(heads|tags)\//, ''),
    GITHUB_REF_TYPE: ref.startsWith('refs/tags/') ? 'tag' : 'branch',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'octo-org/estate',
    GITHUB_SERVER_URL: 'https://github.com',
    // A runner always sets it. Tests with a GitHub API (the stand-in's) pass theirs in `env`;
    // the others get a closed loopback port, so a call fails at once instead of going out.
    GITHUB_API_URL: 'http://127.0.0.1:1',
    GITHUB_RUN_ID: '4242',
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    RUNNER_TEMP: temp,
    RUNNER_OS: 'Linux'
  }
  for (const [name, spec] of Object.entries(actionYml.inputs)) {
    const value = name in inputs ? inputs[name] : name === 'github-token' ? RUNNER_TOKEN : (spec.default ?? '')
    runnerEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = String(value)
  }
  Object.assign(runnerEnv, env)
  return {
    env: runnerEnv,
    /** What the action wrote: outputs and job summary. */
    results: () => {
      const outputsFile = readFileSync(outputPath, 'utf8')
      return { outputs: parseOutputs(outputsFile), outputsFile, summary: readFileSync(summaryPath, 'utf8') }
    },
    dispose: () => rmSync(temp, { recursive: true, force: true })
  }
}


/** Inputs and variables that hold credentials: their values are secrets in every run. */
const SECRET_INPUTS = ['INPUT_GITHUB_TOKEN', 'INPUT_CLIENT_SECRET', 'INPUT_REGISTRY_PASSWORD']
const SECRET_VARIABLE = /(?:TOKEN|SECRET|PASSWORD|_KEY)$/
/** Shorter values (an empty input, "true") could match by chance: they are not scanned. */
const MIN_SECRET_LENGTH = 8

/** @type {(() => Iterable<string>)[]} */
const secretSources = []

/**
 * From now on, every run of this process is scanned for these secrets as well. A function is
 * asked after each run, so tokens a stand-in issues during the run are included.
 * @param {Iterable<string> | (() => Iterable<string>)} secrets
 */
export function scanForSecrets(secrets) {
  secretSources.push(typeof secrets === 'function' ? secrets : () => secrets)
}

/**
 * Where the secrets appear in what a run wrote (logs, outputs file, summary), other than in
 * the `::add-mask::` command that masks them; each place named with the secret blanked out.
 * @param {{ stdout: string, stderr: string, outputsFile: string, summary: string }} written
 * @param {Iterable<string>} secrets
 */
export function secretLeaks(written, secrets) {
  const wanted = [...new Set(secrets)].filter(secret => typeof secret === 'string' && secret.length >= MIN_SECRET_LENGTH)
  /** @type {string[]} */
  const leaks = []
  for (const [where, text] of Object.entries(written)) {
    text.split(/\r\n|\r|\n/).forEach((line, index) => {
      if (line.startsWith('::add-mask::')) return
      for (const secret of wanted) {
        if (line.includes(secret)) leaks.push(`${where} line ${index + 1}: ${line.replaceAll(secret, '***').slice(0, 300)}`)
      }
    })
  }
  return leaks
}

/**
 * Run the bundled action in a subprocess. Resolves with exit code, logs, outputs and summary.
 * Rejects when a secret shows anywhere in what the run wrote: the credential inputs, the
 * runner's token variables (`env` names ending in TOKEN, SECRET, PASSWORD or _KEY), `secrets`,
 * and whatever `scanForSecrets` registered.
 * @param {RunnerOptions & { timeoutMs?: number, secrets?: Iterable<string> | (() => Iterable<string>) }} options
 * @returns {Promise<ActionRun>}
 */
export async function runAction(options) {
  const { env, results, dispose } = runnerEnvironment(options)
  const child = spawn(actionCommand.command, actionCommand.args, { cwd: options.workspace, env, stdio: ['ignore', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', chunk => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk))
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000)
  const exitCode = await new Promise(resolve => child.on('close', code => resolve(code ?? -1)))
  clearTimeout(timer)
  const written = results()
  dispose()

  const own = typeof options.secrets === 'function' ? options.secrets() : (options.secrets ?? [])
  const secrets = [
    ...SECRET_INPUTS.map(name => env[name] ?? ''),
    ...Object.entries(env)
      .filter(([name]) => SECRET_VARIABLE.test(name))
      .map(([, value]) => value),
    ...own,
    ...secretSources.flatMap(source => [...source()])
  ]
  const leaks = secretLeaks({ stdout, stderr, outputsFile: written.outputsFile, summary: written.summary }, secrets)
  if (leaks.length > 0) throw new Error(`the action wrote ${leaks.length} secret${leaks.length === 1 ? '' : 's'} where the runner would show ${leaks.length === 1 ? 'it' : 'them'}:\n  ${leaks.join('\n  ')}`)
  return { exitCode: /** @type {number} */ (exitCode), stdout, stderr, outputs: written.outputs, summary: written.summary }
}
