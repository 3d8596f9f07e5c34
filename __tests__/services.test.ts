/**
 * scripts/services/ on a disk that outlived its processes: a stopped session or a new CI job on
 * the same machine finds the pid and lock files of servers that no longer run, and the pids in
 * them may since belong to other live processes. The scripts must start the servers anyway,
 * not wait on (or be refused by) a stranger. Each case uses its own port and state folder, so
 * the registry and Postgres the other tests use are left alone.
 */
import { afterAll, describe, expect, test } from '@jest/globals'
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const servicesDir = fileURLToPath(new URL('../scripts/services/', import.meta.url))
const scratch: string[] = []
const strangers: ChildProcess[] = []
const cleanups: Array<() => void> = []
afterAll(() => {
  for (const cleanup of cleanups) cleanup()
  for (const child of strangers) child.kill('SIGKILL')
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true })
})

/**
 * A live process that is none of the servers: what a recycled pid points at. Run as `user`
 * when given: Postgres only takes a pid for a running server when it may signal it.
 */
function stranger(user?: string): number {
  const ids = user ? { uid: Number(idOf('-u', user)), gid: Number(idOf('-g', user)) } : {}
  const child = spawn('sleep', ['600'], { stdio: 'ignore', ...ids })
  strangers.push(child)
  return child.pid!
}

function idOf(flag: '-u' | '-g', user: string): string {
  return spawnSync('id', [flag, user], { encoding: 'utf8' }).stdout.trim()
}

function run(script: string, args: string[], env: Record<string, string>): { status: number | null; out: string } {
  const result = spawnSync('bash', [path.join(servicesDir, script), ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
    timeout: 120_000,
  })
  return { status: result.status, out: `${result.stdout}${result.stderr}` }
}

function killPidFile(file: string): void {
  if (!existsSync(file)) return
  try {
    process.kill(Number(readFileSync(file, 'utf8').trim()), 'SIGTERM')
  } catch {
    // already gone
  }
}

describe('a state folder left by processes that no longer run', () => {
  test('docker.sh starts the registry when its pid file names a live stranger', async () => {
    const state = mkdtempSync(path.join(tmpdir(), 'apd-services-'))
    scratch.push(state)
    const port = '5581'
    const pidFile = path.join(state, 'apd-services', `registry-${port}.pid`)
    cleanups.push(() => killPidFile(pidFile))
    // First run: the registry starts and writes its pid file. Stop it, as a session's end does.
    const first = run('docker.sh', [], { TMPDIR: state, APD_REGISTRY_PORT: port, APD_SERVICES_WAIT: '20' })
    expect(first.out).toContain(`registry: started docker-registry on 127.0.0.1:${port}`)
    expect(first.status).toBe(0)
    killPidFile(pidFile)
    await waitUntil(async () => !(await answers(`http://127.0.0.1:${port}/v2/`)))
    // The pid is now someone else's.
    writeFileSync(pidFile, `${stranger()}\n`)

    const again = run('docker.sh', [], { TMPDIR: state, APD_REGISTRY_PORT: port, APD_SERVICES_WAIT: '20' })
    expect(again.out).not.toContain('running but not answering yet')
    expect(again.out).toContain(`registry: started docker-registry on 127.0.0.1:${port}`)
    expect(again.status).toBe(0)
    expect(await answers(`http://127.0.0.1:${port}/v2/`)).toBe(true)
  }, 120_000)

  test('postgres.sh starts the cluster when its lock files name a live stranger', () => {
    const state = mkdtempSync(path.join(tmpdir(), 'apd-services-'))
    scratch.push(state)
    spawnSync('chmod', ['755', state])
    const port = '55481'
    const data = path.join(state, 'apd-services', `postgres-${port}`, 'data')
    const env = { TMPDIR: state, APD_POSTGRES_PORT: port, APD_SERVICES_WAIT: '30' }
    const stop = (): void => {
      const bin = readFileSync(path.join(data, 'postmaster.opts'), 'utf8').split(' ')[0] ?? ''
      spawnSync('runuser', ['-u', 'postgres', '--', path.join(path.dirname(bin), 'pg_ctl'), '-D', data, '-m', 'immediate', 'stop'], {
        env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
      })
    }
    cleanups.push(() => existsSync(path.join(data, 'postmaster.pid')) && stop())

    const first = run('postgres.sh', ['services_test'], env)
    expect(first.status).toBe(0)
    expect(first.out).toContain(`started Postgres`)
    // A killed server leaves postmaster.pid behind; then its pid goes to a stranger of the
    // same user (a root one Postgres would see through: it may not signal it).
    stop()
    const lock = path.join(data, 'postmaster.pid')
    const lines = existsSync(lock) ? readFileSync(lock, 'utf8').split('\n') : ['', '', '']
    lines[0] = String(stranger('postgres'))
    writeFileSync(lock, lines.join('\n'))

    const again = run('postgres.sh', ['services_test'], env)
    expect(again.out).toContain(`removing the stale lock file ${lock}`)
    expect(again.out).toContain(`started Postgres`)
    expect(again.status).toBe(0)
    expect(again.out).toContain(`postgres://estate:estate-local@127.0.0.1:${port}/services_test`)
  }, 120_000)
})

async function answers(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok
  } catch {
    return false
  }
}

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}
