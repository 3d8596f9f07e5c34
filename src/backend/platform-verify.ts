/**
 * `verify: platform`: proof that the new container started, from App Service itself rather
 * than from the app — for apps that cannot report their version and workers with no HTTP
 * endpoint. Kudu (the app's SCM site) serves the platform's docker log: the deploy waits for
 * the lines that say the new image was pulled and its container is ready, after the switch.
 */
import type { VerifyDeps, VerifyResult } from './health.js'

/** A docker log file as Kudu lists it (`GET /api/logs/docker`). */
interface KuduLogFile {
  href?: string
  lastUpdated?: string
  path?: string
  machineName?: string
}

export interface PlatformCheck {
  /** `https://<scm host>` of the app or slot. */
  scmUrl: string
  /** The image the container must run. */
  image: string
  /** Lines older than this (epoch ms) belong to earlier starts. */
  since: number
  timeoutMs: number
  intervalMs: number
}

export interface PlatformVerifyDeps extends Pick<VerifyDeps, 'sleep' | 'now'> {
  /** A bearer token Kudu accepts: Entra ID, for the Resource Manager audience. */
  token(): Promise<string>
  fetch: typeof fetch
}

const STARTED = /initialized successfully and is ready to serve requests|Site started\b/i
const FAILED = /failing site start|failed during startup|didn't respond to HTTP pings|did not start within expected time limit|stopping site .* because it failed|image pull failed|pull image failed|unauthorized: authentication required|ImagePullFailure/i
const PULLING = /Pulling image:?\s*(\S+)/i
const TIMESTAMP = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z?)/

/** `docker run … --name <container> … <image>`: the container App Service started for an image. */
const DOCKER_RUN = /docker run .*--name (\S+)/i
const PULL_FAILED = /image pull failed|pull image failed|unauthorized: authentication required|ImagePullFailure/i

/**
 * Pure: what the log lines since the switch say about `image`: started, failed (why), or
 * nothing yet. After the image's pull, the container App Service ran for it is followed by
 * name, so lines about another start (an earlier container stopping, a rollback's) never count.
 */
export function readStartRecord(lines: readonly string[], image: string, since: number): { state: 'started' } | { state: 'failed'; line: string } | { state: 'waiting'; pulled: boolean } {
  let pulled = false
  let container: string | undefined
  for (const line of lines) {
    const stamp = TIMESTAMP.exec(line)?.[1]
    if (!stamp) continue
    const at = Date.parse(stamp.endsWith('Z') ? stamp : `${stamp}Z`)
    if (!Number.isFinite(at) || at < since) continue
    const pulling = PULLING.exec(line)?.[1]
    if (pulling !== undefined) {
      pulled = pulling.toLowerCase() === image.toLowerCase()
      container = undefined
      continue
    }
    if (!pulled) continue
    const run = DOCKER_RUN.exec(line)
    if (run && line.toLowerCase().includes(image.toLowerCase())) {
      container = run[1]
      continue
    }
    // Before its container runs, only a failed pull can be about this image.
    if (container === undefined) {
      if (PULL_FAILED.test(line)) return { state: 'failed', line: line.trim() }
      continue
    }
    if (!line.includes(container)) continue
    if (FAILED.test(line)) return { state: 'failed', line: line.trim() }
    if (STARTED.test(line)) return { state: 'started' }
  }
  return { state: 'waiting', pulled }
}

/** Poll Kudu's docker log until the new container's start is recorded, its failure is, or time runs out. */
export async function waitForPlatformStart(check: PlatformCheck, deps: PlatformVerifyDeps, signal: AbortSignal): Promise<VerifyResult> {
  const started = deps.now()
  const elapsed = () => (deps.now() - started) / 1000
  let last = 'no docker log read yet'
  while (!signal.aborted) {
    try {
      const lines = await recentLogLines(check, deps, signal)
      const record = readStartRecord(lines, check.image, check.since)
      if (record.state === 'started') return { ok: true, seconds: elapsed() }
      if (record.state === 'failed') return { ok: false, seconds: elapsed(), reason: `App Service's docker log says the container of ${check.image} did not start: ${record.line}` }
      last = record.pulled ? `the image was pulled; its container has not reported ready` : `no pull of ${check.image} in the docker log yet`
    } catch (error) {
      last = `the docker log could not be read (${(error as Error).message})`
    }
    if (deps.now() - started >= check.timeoutMs) return { ok: false, seconds: elapsed(), reason: `timed out after ${Math.round(elapsed())}s waiting for App Service to start ${check.image}; last: ${last}` }
    await deps.sleep(check.intervalMs, signal).catch(() => undefined)
  }
  return { ok: false, seconds: elapsed(), reason: 'stopped: another target failed' }
}

/** The lines of the docker log files written since the switch. */
async function recentLogLines(check: PlatformCheck, deps: PlatformVerifyDeps, signal: AbortSignal): Promise<string[]> {
  const headers = { Authorization: `Bearer ${await deps.token()}` }
  const request = async (url: string) => {
    const response = await deps.fetch(url, { headers, signal: AbortSignal.any([signal, AbortSignal.timeout(15_000)]) })
    if (!response.ok) throw new Error(`${url}: HTTP ${response.status}${response.status === 401 || response.status === 403 ? ' (the identity needs a role on the app that lets it read the SCM site, such as Website Contributor)' : ''}`)
    return response
  }
  const files = (await (await request(new URL('/api/logs/docker', check.scmUrl).toString())).json()) as KuduLogFile[]
  // The platform's own files only: `…_default_docker.log` holds the container's output, which the app controls.
  const platformFiles = files.filter(file => !/_default$/i.test(file.machineName ?? '') && !/_default_docker\.log$/i.test(file.href ?? file.path ?? ''))
  const recent = platformFiles.filter(file => file.href && (!file.lastUpdated || Date.parse(file.lastUpdated) >= check.since - 60_000))
  const texts = await Promise.all(recent.map(async file => (await request(file.href!)).text()))
  return texts.flatMap(text => text.split(/\r?\n/))
}
