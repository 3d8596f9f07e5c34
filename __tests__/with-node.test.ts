/**
 * scripts/with-node.mjs, which every npm script goes through: on a machine whose Node is older
 * than package.json asks for, the command runs under the Node in .ci/node (installed there
 * when missing, or a one-line stop saying what to run); signals and the exit code pass
 * through; `--services` runs the service scripts this checkout has, stopping at one that fails.
 */
import { afterAll, describe, expect, test } from '@jest/globals'
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const wrapper = fileURLToPath(new URL('../scripts/with-node.mjs', import.meta.url))
const engines = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { engines: { node: string } }).engines
const required = Number(/>=\s*(\d+)/.exec(engines.node)![1])

/** A Node older than package.json asks for, as a fresh machine has (this one's default is 20). */
function findOlderNode(): { bin: string; version: string } | undefined {
  for (const dir of new Set([...(process.env.PATH ?? '').split(path.delimiter), '/usr/local/bin', '/usr/bin'])) {
    const bin = path.join(dir, 'node')
    if (!path.isAbsolute(bin) || !existsSync(bin)) continue
    const version = spawnSync(bin, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout?.trim()
    if (version && Number(version.split('.')[0]) < required && Number(version.split('.')[0]) >= 18) return { bin, version }
  }
  return undefined
}
const older = findOlderNode()
const SETUP_HINT = `no Node between 18 and ${required - 1} on PATH, /usr/local/bin or /usr/bin`
if (!older && process.env.CI !== 'true') console.log(`with-node tests on an older Node skipped: ${SETUP_HINT}`)
/** `test` where an older Node exists (or in CI, where its absence must fail); `test.skip` elsewhere. */
const olderNodeTest = older || process.env.CI === 'true' ? test : test['skip']
function olderNode(): { bin: string; version: string } {
  if (!older) throw new Error(`CI needs an older Node to check the wrapper with, and there is ${SETUP_HINT}`)
  return older
}

const scratch: string[] = []
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
})

/**
 * A checkout with only what the wrapper reads: itself, package.json's engines, and, when asked,
 * .ci/node as `npm install --prefix .ci/node node@N` leaves it, its binary the Node this test
 * runs on (so nothing is downloaded here).
 */
function checkout({ installed = false, services = {} }: { installed?: boolean; services?: Record<string, string> } = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'with-node-'))
  scratch.push(dir)
  mkdirSync(path.join(dir, 'scripts', 'services'), { recursive: true })
  copyFileSync(wrapper, path.join(dir, 'scripts', 'with-node.mjs'))
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'fixture', engines }))
  for (const [name, script] of Object.entries(services)) {
    writeFileSync(path.join(dir, 'scripts', 'services', name), `#!/usr/bin/env bash\n${script}\n`)
    chmodSync(path.join(dir, 'scripts', 'services', name), 0o755)
  }
  if (installed) {
    const nodePackage = path.join(dir, '.ci', 'node', 'node_modules', 'node')
    mkdirSync(path.join(nodePackage, 'bin'), { recursive: true })
    writeFileSync(path.join(nodePackage, 'package.json'), JSON.stringify({ name: 'node', version: process.versions.node }))
    symlinkSync(process.execPath, path.join(nodePackage, 'bin', 'node'))
  }
  return dir
}

type Run = { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string; seconds: number }

/** Runs `node with-node.mjs …args` in `cwd` with `env` (PATH as given), to its end. */
function runWrapper(node: string, script: string, args: string[], { env = {}, cwd, onStdout }: { env?: NodeJS.ProcessEnv; cwd?: string; onStdout?: (text: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Run> {
  // Jest's NODE_OPTIONS (--experimental-vm-modules) is not the command's business.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => name !== 'NODE_OPTIONS'))
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const child = spawn(node, [script, ...args], { cwd, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', chunk => {
      stdout += chunk
      onStdout?.(stdout, child)
    })
    child.stderr.setEncoding('utf8').on('data', chunk => (stderr += chunk))
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, seconds: (performance.now() - started) / 1000 }))
  })
}

/** PATH of a fresh machine: the older Node's folder first, then the system's. */
const freshPath = (bin: string) => [...new Set([path.dirname(bin), '/usr/bin', '/bin'])].join(path.delimiter)

/** Prints, as JSON, the Node a command runs on, the one its own child finds on PATH, and PATH's first entry. */
const REPORT_NODES = [
  'node',
  '-e',
  "const { execFileSync } = require('node:child_process'); console.log(JSON.stringify({ command: process.version, child: execFileSync('node', ['-p', 'process.version'], { encoding: 'utf8' }).trim(), firstOnPath: process.env.PATH.split(':')[0] }))"
]

describe('on a machine whose Node is older', () => {
  olderNodeTest('the command runs under the Node in .ci/node, first on PATH for its children too', async () => {
    const { bin, version } = olderNode()
    const dir = checkout({ installed: true })
    // Without the wrapper, the same PATH runs the older Node.
    expect(spawnSync('node', ['-p', 'process.version'], { env: { PATH: freshPath(bin) }, encoding: 'utf8' }).stdout.trim()).toBe(`v${version}`)

    const run = await runWrapper(bin, path.join(dir, 'scripts', 'with-node.mjs'), REPORT_NODES, { env: { PATH: freshPath(bin) }, cwd: dir })
    expect(run.stderr).toBe('')
    expect(run.code).toBe(0)
    expect(JSON.parse(run.stdout)).toEqual({ command: process.version, child: process.version, firstOnPath: path.join(dir, '.ci', 'node', 'node_modules', 'node', 'bin') })
  })

  olderNodeTest('when Node cannot be installed, it stops at once with one line that says what to run', async () => {
    const { bin, version } = olderNode()
    const dir = checkout()
    const run = await runWrapper(bin, path.join(dir, 'scripts', 'with-node.mjs'), ['node', '-p', '"the command ran"'], {
      env: { PATH: freshPath(bin), npm_config_registry: 'http://127.0.0.1:1' },
      cwd: dir
    })
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      `with-node: Node v${version} is older than the Node ${required} that package.json asks for, and Node ${required} could not be installed: ` +
        `request to http://127.0.0.1:1/node failed, reason: connect ECONNREFUSED 127.0.0.1:1; ` +
        `put Node ${required} or later first on PATH, or run \`npm install --prefix .ci/node node@${required}\` once the npm registry answers`
    ])
    // The registry is asked once, without retries: no waiting for a minute of npm's back-off.
    expect(run.seconds).toBeLessThan(10)
    expect(existsSync(path.join(dir, '.ci')) ? readdirSync(path.join(dir, '.ci')) : []).toEqual([])
  })
})

describe('the command', () => {
  test("its exit code is the wrapper's", async () => {
    const run = await runWrapper(process.execPath, wrapper, ['node', '-e', 'process.exit(3)'])
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 3, stderr: '' })
  })

  test('a signal sent to the wrapper reaches the command, which can end as it chooses', async () => {
    const handler = "process.on('SIGTERM', () => { console.log('command got SIGTERM'); process.exit(7) }); console.log('ready'); setInterval(() => {}, 1000)"
    const run = await runWrapper(process.execPath, wrapper, ['node', '-e', handler], {
      onStdout: (text, child) => {
        if (text === 'ready\n') child.kill('SIGTERM')
      }
    })
    expect({ code: run.code, stdout: run.stdout }).toEqual({ code: 7, stdout: 'ready\ncommand got SIGTERM\n' })
  })

  test('a command killed by a signal ends the wrapper by the same signal', async () => {
    const run = await runWrapper(process.execPath, wrapper, ['node', '-e', "process.kill(process.pid, 'SIGTERM')"])
    expect({ code: run.code, signal: run.signal }).toEqual({ code: null, signal: 'SIGTERM' })
  })

  test('a command that does not exist: one line, exit 127', async () => {
    const run = await runWrapper(process.execPath, wrapper, ['no-such-command-here'])
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 127, stderr: 'with-node: no-such-command-here: command not found (did `npm ci` run?)\n' })
  })
})

describe('--services', () => {
  test('runs the service scripts the checkout has, in order, their output on stderr; then the command', async () => {
    const dir = checkout({ services: { 'postgres.sh': 'echo "postgres: reusing the running server"', 'base-image.sh': 'echo "base image: cached"' } })
    const run = await runWrapper(process.execPath, path.join(dir, 'scripts', 'with-node.mjs'), ['--services', 'node', '-p', '"the command ran"'])
    expect(run).toMatchObject({ code: 0, stdout: 'the command ran\n', stderr: 'base image: cached\npostgres: reusing the running server\n' })
  })

  test('a service that fails stops everything, in one line after what it said', async () => {
    const dir = checkout({ services: { 'postgres.sh': 'echo "postgres.sh: initdb failed" >&2; exit 4' } })
    const run = await runWrapper(process.execPath, path.join(dir, 'scripts', 'with-node.mjs'), ['--services', 'node', '-p', '"the command ran"'])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe('')
    expect(run.stderr.trimEnd().split('\n')).toEqual([
      'postgres.sh: initdb failed',
      'with-node: scripts/services/postgres.sh failed (exit 4; what it said is above): fix that, or run `bash scripts/services/postgres.sh` to retry it alone'
    ])
  })
})

test('it imports nothing but node: modules (it runs before the dependencies are of use)', () => {
  const imports = [...readFileSync(wrapper, 'utf8').matchAll(/^import .* from '([^']+)'$/gm)].map(match => match[1])
  expect(imports.length).toBeGreaterThan(0)
  for (const name of imports) expect(name).toMatch(/^node:/)
})
