// Runs a command under the Node this repository needs (package.json `engines.node`), so that
// `npm ci` then `npm test` or `npm run demo` work on a fresh machine whose Node is older.
//
//   node scripts/with-node.mjs [--services] [command [args…]]
//
// When the Node running this script is older, it uses the Node installed in .ci/node (which
// git ignores, and .ci/run shares), installing it there first from the npm registry's `node`
// package (one line says so). The command then runs with that Node first on PATH, so npm, jest
// and every child process see it; signals go to the command and its exit code comes back.
// `--services` first runs the scripts under scripts/services/ that start what the tests need
// (SERVICES below). A step that cannot happen stops here in one line that says what to run.
// No command: only the set-up. No dependencies, and plain Node 18 syntax: this runs before
// the newer Node exists.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { constants } from 'node:os'
import path from 'node:path'
import { isatty } from 'node:tty'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const prefix = path.join(root, '.ci', 'node')
const installedNode = path.join(prefix, 'node_modules', 'node')
/** What to run when the install cannot happen here. */
const installHint = wanted => `put Node ${wanted} or later first on PATH, or run \`npm install --prefix ${path.relative(process.cwd(), prefix)} node@${wanted}\` once the npm registry answers`

/**
 * What `--services` starts, in this order, each an idempotent script under scripts/services/
 * (what already runs is reused). A script this checkout does not have is passed over.
 * `rootOnly`: run only as root; elsewhere the tests that need it skip, saying so.
 */
const SERVICES = [
  { script: 'docker.sh', rootOnly: true }, // the Docker engine and the local registry
  { script: 'base-image.sh' }, // the Debian base image the example API builds on
  { script: 'postgres.sh' }, // the database the example API and its release step use
  { script: 'estate-site.sh' } // the example site's npm packages (its own lockfile)
]

const say = line => process.stderr.write(`with-node: ${line}\n`)
function stop(line, code = 1) {
  say(line)
  process.exit(code)
}
const major = version => Number(String(version).replace(/^v/, '').split('.')[0])

/** The major version `engines.node` asks for (`>=24` → 24). */
function requiredMajor() {
  const engines = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).engines || {}
  const match = /^>=\s*(\d+)/.exec(String(engines.node || '').trim())
  if (!match) stop(`package.json has no "engines": { "node": ">=N" } to say which Node to use`)
  return Number(match[1])
}

/** The version of the Node in .ci/node, or undefined when there is none. */
function installedVersion() {
  try {
    const { version } = JSON.parse(readFileSync(path.join(installedNode, 'package.json'), 'utf8'))
    return existsSync(path.join(installedNode, 'bin', 'node')) ? version : undefined
  } catch {
    return undefined
  }
}

/** Runs npm with `args`; resolves to { code, stdout, output } (output: stdout and stderr). */
function npm(args) {
  return new Promise(resolve => {
    const child = spawn('npm', args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let output = ''
    child.stdout.on('data', chunk => {
      stdout += chunk
      output += chunk
    })
    // An older Node gets warnings from a newer npm here; they are not its answer.
    child.stderr.on('data', chunk => (output += chunk))
    child.on('error', error => resolve({ code: -1, stdout, output: error.code === 'ENOENT' ? 'npm is not installed' : error.message }))
    child.on('close', code => resolve({ code, stdout, output }))
  })
}

/** npm's reason for a failure, in one line: the `request to … failed` line, else its last error line. */
function npmReason(output) {
  const lines = output.split('\n').map(line => line.replace(/^npm (error|ERR!) ?/, '').trim()).filter(Boolean)
  const request = lines.find(line => /request to .* failed/.test(line))
  if (request) return request.replace(/^\w*Error: /, '')
  return lines.filter(line => !/complete log of this run|^at |^[{}]|^\w+: /.test(line)).at(-1) || 'no reason given'
}

/**
 * Installs node@<wanted> into .ci/node: first asks the registry which version that is (a
 * quick request, no retries, so an unreachable registry fails at once), then installs into a
 * folder of its own and renames it into place, so a broken or half-done install is never used.
 */
async function installNode(wanted, reason) {
  const hint = installHint(wanted)
  const view = await npm(['view', `node@${wanted}`, 'version', '--json', '--fetch-retries=0', '--fetch-timeout=15000'])
  if (view.code !== 0) stop(`${reason}, and Node ${wanted} could not be installed: ${npmReason(view.output)}; ${hint}`)
  const versions = [].concat(JSON.parse(view.stdout || '[]'))
  const exact = versions.sort((a, b) => a.localeCompare(b, 'en', { numeric: true })).at(-1)
  if (!exact) stop(`${reason}, and the npm registry lists no node@${wanted}; ${hint}`)

  const started = Date.now()
  process.stderr.write(`with-node: ${reason}: installing node@${exact} from the npm registry into ${path.relative(root, prefix)} … `)
  const partial = `${prefix}.install-${process.pid}`
  const removePartial = () => rmSync(partial, { recursive: true, force: true })
  const interrupted = signal => {
    removePartial()
    process.stderr.write('interrupted\n')
    process.exit(128 + constants.signals[signal])
  }
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted)
  const install = await npm(['install', '--prefix', partial, '--no-audit', '--no-fund', '--loglevel=error', `node@${exact}`])
  process.removeListener('SIGINT', interrupted).removeListener('SIGTERM', interrupted)
  const works = install.code === 0 && spawnSync(path.join(partial, 'node_modules', 'node', 'bin', 'node'), ['--version'], { encoding: 'utf8' }).stdout?.trim() === `v${exact}`
  if (!works) {
    removePartial()
    process.stderr.write('failed\n')
    stop(`installing node@${exact} failed: ${install.code === 0 ? 'the installed node does not run' : npmReason(install.output)}; ${hint}`)
  }
  rmSync(prefix, { recursive: true, force: true })
  try {
    renameSync(partial, prefix)
  } catch (error) {
    // Another run installed it meanwhile: use theirs.
    removePartial()
    if (!(major(installedVersion()) >= wanted)) throw error
  }
  process.stderr.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`)
}

/** The folder of the node to put first on PATH: this one when new enough, else .ci/node's. */
async function nodeBin() {
  const wanted = requiredMajor()
  if (major(process.version) >= wanted) return path.dirname(process.execPath)
  if (!(major(installedVersion()) >= wanted)) {
    const found = installedVersion() ? `Node ${process.version} (and ${installedVersion()} in ${path.relative(root, prefix)}) is` : `Node ${process.version} is`
    await installNode(wanted, `${found} older than the Node ${wanted} that package.json asks for`)
  }
  return path.join(installedNode, 'bin')
}

/** Runs each service script this checkout has; the first that fails stops everything. */
function startServices(env) {
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0
  for (const { script, rootOnly } of SERVICES) {
    const file = path.join(root, 'scripts', 'services', script)
    if (!existsSync(file) || (rootOnly && !isRoot)) continue
    // Its output goes to stderr, so a command's stdout (bench's JSON) stays clean.
    const result = spawnSync('bash', [file], { cwd: root, env, stdio: ['ignore', 2, 2] })
    if (result.status !== 0) {
      const how = result.error ? result.error.message : result.signal ? `killed by ${result.signal}` : `exit ${result.status}`
      stop(`scripts/services/${script} failed (${how}; what it said is above): fix that, or run \`bash scripts/services/${script}\` to retry it alone`)
    }
  }
}

/** Runs the command to its end, passing signals on; exits as it did. */
function run(command, args, env) {
  const child = spawn(command, args, { stdio: 'inherit', env })
  // In a terminal, Ctrl-C and a hang-up reach every process of the foreground group, the
  // command too: sending it one more would count as a second Ctrl-C (the demo then stops
  // cleaning up). There the wrapper only waits for the command to end.
  const terminal = isatty(0)
  const forward = signal => child.kill(signal)
  for (const signal of terminal ? ['SIGTERM'] : ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, forward)
  if (terminal) for (const signal of ['SIGINT', 'SIGHUP']) process.on(signal, () => {})
  child.on('error', error => stop(error.code === 'ENOENT' ? `${command}: command not found (did \`npm ci\` run?)` : `${command}: ${error.message}`, 127))
  child.on('exit', (code, signal) => {
    if (signal) {
      // End the same way, so whoever started us sees the signal (npm, a shell, CI).
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
      setTimeout(() => process.exit(128 + (constants.signals[signal] || 0)), 1000)
      return
    }
    process.exit(code)
  })
}

const args = process.argv.slice(2)
const withServices = args[0] === '--services'
const [command, ...commandArgs] = withServices ? args.slice(1) : args
const bin = await nodeBin()
const pathList = (process.env.PATH || '').split(path.delimiter)
const env = { ...process.env, PATH: pathList[0] === bin ? process.env.PATH : [bin, ...pathList].join(path.delimiter) }
if (withServices) startServices(env)
if (command) run(command, commandArgs, env)
