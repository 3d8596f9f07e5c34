// Runs the bundled action exactly as a GitHub runner does: a node subprocess of
// dist/index.js with INPUT_* (defaults from action.yml filled in), GITHUB_* variables, an
// event payload file, and GITHUB_OUTPUT / GITHUB_STEP_SUMMARY / GITHUB_STATE files to read
// back; the runner's Cancel (SIGINT, SIGTERM, then a kill) at a moment the test chooses; and
// the `post:` step, run afterwards with the state the main step saved.
//
// APD_ACTION_DIR=<folder> runs the action in that folder (its action.yml and dist/) instead of
// this checkout's: how a test is run against an earlier release of the action.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The action the runner runs: this checkout, or the folder APD_ACTION_DIR names. */
export const actionRoot = process.env.APD_ACTION_DIR ? path.resolve(process.env.APD_ACTION_DIR) : repoRoot
const actionYml = parse(readFileSync(path.join(actionRoot, 'action.yml'), 'utf8'))

/** How a runner starts the action: node on action.yml's `runs.main`. */
export const actionCommand = { command: process.execPath, args: [path.join(actionRoot, actionYml.runs.main)] }
/** How a runner starts the post step: node on `runs.post`; undefined when the action declares none. */
export const postCommand = actionYml.runs.post ? { command: process.execPath, args: [path.join(actionRoot, actionYml.runs.post)] } : undefined

/**
 * The runner's Cancel, as actions/runner's ProcessInvoker (src/Runner.Sdk/ProcessInvoker.cs,
 * CancelAndKillProcessTree) does it on Linux: SIGINT to the step's process, up to 7.5 s
 * (`_sigintTimeout`) for it to exit, then SIGTERM, up to 2.5 s (`_sigtermTimeout`), then the
 * whole process tree is killed.
 */
export const RUNNER_CANCEL = { sigintGraceMs: 7500, sigtermGraceMs: 2500 }

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

/** Parse a GITHUB_OUTPUT or GITHUB_STATE file (`name<<delimiter` blocks, as @actions/core writes them). */
function parseFileCommands(text) {
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
 * @typedef {{ exitCode: number, signal?: string, stdout: string, stderr: string, outputs: Record<string, string>, state: Record<string, string>, summary: string, signals: string[] }} ActionRun
 *   `signal`: what ended the process when it did not exit by itself; `signals`: what the runner sent it (its Cancel)
 * @typedef {{ workspace: string, sha: string, ref?: string, inputs?: Record<string, string>, event?: { name: string, payload: object }, env?: Record<string, string> }} RunnerOptions
 * @typedef {{ env: Record<string, string>, results: () => { outputs: Record<string, string>, outputsFile: string, state: Record<string, string>, summary: string } }} StepEnvironment
 */

/**
 * A step's own files, as the runner gives each step: GITHUB_OUTPUT, GITHUB_STEP_SUMMARY and
 * GITHUB_STATE, fresh and empty.
 * @param {string} temp
 * @param {string} step
 */
function stepFiles(temp, step) {
  const files = { output: path.join(temp, `${step}-output`), summary: path.join(temp, `${step}-summary.md`), state: path.join(temp, `${step}-state`) }
  for (const file of Object.values(files)) writeFileSync(file, '')
  return files
}

/** @param {{ output: string, summary: string, state: string }} files */
function readStepFiles(files) {
  const outputsFile = readFileSync(files.output, 'utf8')
  return { outputs: parseFileCommands(outputsFile), outputsFile, state: parseFileCommands(readFileSync(files.state, 'utf8')), summary: readFileSync(files.summary, 'utf8') }
}

/**
 * The environment a runner gives a JavaScript action: INPUT_* (action.yml defaults filled
 * in), GITHUB_* variables, and fresh event, output, summary and state files. RUNNER_TEMP is
 * the job's: it outlives the main step, so the post step finds what the main step left there.
 * @param {RunnerOptions} options
 */
export function runnerEnvironment({ workspace, inputs = {}, event = { name: 'push', payload: {} }, sha, ref = 'refs/heads/main', env = {} }) {
  const temp = mkdtempSync(path.join(tmpdir(), 'apd-runner-'))
  const eventPath = path.join(temp, 'event.json')
  writeFileSync(eventPath, JSON.stringify(event.payload))
  // The runner's own files live beside RUNNER_TEMP, not in it: what the action leaves in RUNNER_TEMP is the action's.
  const runnerFiles = path.join(temp, 'runner')
  const runnerTemp = path.join(temp, 'temp')
  for (const folder of [runnerFiles, runnerTemp]) mkdirSync(folder)
  const main = stepFiles(runnerFiles, 'main')

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
    GITHUB_OUTPUT: main.output,
    GITHUB_STEP_SUMMARY: main.summary,
    GITHUB_STATE: main.state,
    RUNNER_TEMP: runnerTemp,
    RUNNER_OS: 'Linux'
  }
  for (const [name, spec] of Object.entries(actionYml.inputs)) {
    const value = name in inputs ? inputs[name] : name === 'github-token' ? RUNNER_TOKEN : (spec.default ?? '')
    runnerEnv[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = String(value)
  }
  Object.assign(runnerEnv, env)
  return {
    env: runnerEnv,
    /** The job's RUNNER_TEMP. */
    runnerTemp,
    /** What the action wrote: outputs, job summary, saved state. */
    results: () => readStepFiles(main),
    /**
     * The post step's environment, as the runner builds it: the main step's inputs and
     * variables, fresh step files, and `STATE_<name>` for each state the main step saved.
     * @returns {StepEnvironment}
     */
    postStep() {
      const post = stepFiles(runnerFiles, 'post')
      const saved = readStepFiles(main).state
      const postEnv = { ...runnerEnv, GITHUB_OUTPUT: post.output, GITHUB_STEP_SUMMARY: post.summary, GITHUB_STATE: post.state }
      for (const [name, value] of Object.entries(saved)) postEnv[`STATE_${name}`] = value
      return { env: postEnv, results: () => readStepFiles(post) }
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
 * @typedef {object} RunningStep
 * @property {number} pid
 * @property {() => string} stdout what the step has printed so far
 * @property {(pattern: RegExp | string, timeoutMs?: number) => Promise<string>} waitForLine resolves with the first stdout line that
 *   matches (a string: contains it), printed already or later; rejects when the step ends first or after `timeoutMs` (default 120 s)
 * @property {() => Promise<ActionRun>} cancel the runner's Cancel (see RUNNER_CANCEL); resolves as `done` does
 * @property {() => Promise<ActionRun>} kill SIGKILL to the step's process tree at once, as when the runner gives up on it or the
 *   process dies (out of memory): no handler of the step runs; resolves as `done` does
 * @property {Promise<ActionRun>} done when the step has ended: exit code, logs, outputs, state, summary
 */

/**
 * Start one step of the action in a subprocess, as the runner does. Whatever ends it, `done`
 * rejects when a secret shows anywhere in what it wrote: the credential inputs, the runner's
 * token variables (`env` names ending in TOKEN, SECRET, PASSWORD or _KEY), `secrets`, and
 * whatever `scanForSecrets` registered.
 * @param {{ command: string, args: string[] }} command
 * @param {StepEnvironment} step
 * @param {{ workspace: string, timeoutMs?: number, secrets?: Iterable<string> | (() => Iterable<string>) }} options
 * @returns {RunningStep}
 */
function startStep(command, step, options) {
  const { env } = step
  // Its own process group, so the last resort kills what it started too (the runner kills the process tree).
  const child = spawn(command.command, command.args, { cwd: options.workspace, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  let stdout = ''
  let stderr = ''
  /** @type {string[]} */
  const signals = []
  /** @type {Set<(line: string | undefined) => void>} */
  const lineWatchers = new Set()
  let pending = ''
  child.stdout.setEncoding('utf8').on('data', chunk => {
    stdout += chunk
    pending += chunk
    const complete = pending.split('\n')
    pending = complete.pop() ?? ''
    for (const line of complete) for (const watcher of lineWatchers) watcher(line)
  })
  child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk))
  /** @type {Promise<{ code: number | null, signal: string | null }>} */
  const exited = new Promise(resolve => child.on('close', (code, signal) => resolve({ code, signal })))
  let ended = false
  const killTree = () => {
    try {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
  const timer = setTimeout(killTree, options.timeoutMs ?? 120_000)

  const done = exited.then(({ code, signal }) => {
    ended = true
    clearTimeout(timer)
    for (const watcher of lineWatchers) watcher(undefined)
    const written = step.results()
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
    /** @type {ActionRun} */
    const run = { exitCode: code ?? -1, ...(signal ? { signal } : {}), stdout, stderr, outputs: written.outputs, state: written.state, summary: written.summary, signals }
    return run
  })
  // Rejections are the caller's to see through `done`; this keeps an unobserved one from crashing the test process.
  done.catch(() => undefined)

  /** @param {number} ms */
  const exitsWithin = ms => Promise.race([exited.then(() => true), sleep(ms).then(() => ended)])

  return {
    pid: /** @type {number} */ (child.pid),
    stdout: () => stdout,
    waitForLine(pattern, timeoutMs = 120_000) {
      const matches = (/** @type {string} */ line) => (typeof pattern === 'string' ? line.includes(pattern) : pattern.test(line))
      const already = stdout.split('\n').slice(0, -1).find(matches)
      if (already !== undefined) return Promise.resolve(already)
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => finish(undefined, new Error(`no line matching ${pattern} within ${timeoutMs} ms; the step printed:\n${stdout.slice(-4000)}`)), timeoutMs)
        /** @param {string | undefined} line @param {Error} [error] */
        const finish = (line, error) => {
          clearTimeout(deadline)
          lineWatchers.delete(watcher)
          if (line !== undefined) resolve(line)
          else reject(error ?? new Error(`the step ended before printing a line matching ${pattern}; it printed:\n${stdout.slice(-4000)}\n${stderr.slice(-2000)}`))
        }
        /** @param {string | undefined} line */
        const watcher = line => {
          if (line === undefined) finish(undefined)
          else if (matches(line)) finish(line)
        }
        lineWatchers.add(watcher)
      })
    },
    async cancel() {
      if (!ended) {
        signals.push('SIGINT')
        child.kill('SIGINT')
        if (!(await exitsWithin(RUNNER_CANCEL.sigintGraceMs))) {
          signals.push('SIGTERM')
          child.kill('SIGTERM')
          if (!(await exitsWithin(RUNNER_CANCEL.sigtermGraceMs))) {
            signals.push('SIGKILL')
            killTree()
          }
        }
      }
      return done
    },
    async kill() {
      if (!ended) {
        signals.push('SIGKILL')
        killTree()
      }
      return done
    },
    done
  }
}

/**
 * @typedef {object} Job
 * @property {string} runnerTemp the job's RUNNER_TEMP
 * @property {() => RunningStep} start the main step, started
 * @property {() => Promise<ActionRun>} run the main step, to its end
 * @property {() => Promise<ActionRun | undefined>} post the post step, as the runner runs it after the main step (`post-if:
 *   always()`, also after a failure or a cancellation); undefined when the action declares no `post:`
 * @property {() => void} dispose removes the job's files
 */

/**
 * A job whose one step is the action: the main step, then its post step, sharing the job's
 * RUNNER_TEMP and inputs as on a runner.
 * @param {RunnerOptions & { timeoutMs?: number, secrets?: Iterable<string> | (() => Iterable<string>) }} options
 * @returns {Job}
 */
export function createJob(options) {
  const environment = runnerEnvironment(options)
  return {
    runnerTemp: environment.runnerTemp,
    start: () => startStep(actionCommand, environment, options),
    run: () => startStep(actionCommand, environment, options).done,
    async post() {
      if (!postCommand) return undefined
      return startStep(postCommand, environment.postStep(), options).done
    },
    dispose: environment.dispose
  }
}

/**
 * Run the bundled action's main step in a subprocess. Resolves with exit code, logs, outputs,
 * state and summary; rejects when a secret shows anywhere in what the run wrote (see startStep).
 * @param {RunnerOptions & { timeoutMs?: number, secrets?: Iterable<string> | (() => Iterable<string>) }} options
 * @returns {Promise<ActionRun>}
 */
export async function runAction(options) {
  const job = createJob(options)
  try {
    return await job.run()
  } finally {
    job.dispose()
  }
}
