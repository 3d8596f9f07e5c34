/**
 * What a Web App (or slot) serves, the way App Service for Containers does it: when the image
 * changes or the app restarts, a new container starts beside the old one; once it answers
 * HTTP 2xx on the health check path (or `/`) traffic switches to it and the old one stops.
 * Until then the old container keeps serving; a container that is not ready within the start
 * limit (WEBSITES_CONTAINER_START_TIME_LIMIT, 230 s by default on Azure) is abandoned and the
 * old one goes on serving.
 * https://learn.microsoft.com/azure/app-service/configure-custom-container#configure-container-start-time-limit
 *
 * Each slot has its own HTTPS listener (its "default host name"), which proxies to whatever
 * the slot serves at that moment, or answers 503 with App Service's "Application Error" page.
 */
import { request as httpRequest } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { listenHttps } from './https-server.mjs'

const PROBE_INTERVAL_MS = 100
const PROBE_TIMEOUT_MS = 2000
/** In-flight requests to an old container get this long to finish after traffic switches. */
const DRAIN_MS = 500

/**
 * @typedef {import('./containers.mjs').Container} Container
 * @typedef {{ start(options: import('./containers.mjs').StartOptions): Promise<Container>, stopAll(): Promise<void> }} ContainerHost
 *
 * @typedef {object} StartRecord
 * @property {string} image
 * @property {'starting' | 'succeeded' | 'failed' | 'superseded'} status
 * @property {string} startedAt
 * @property {string} [endedAt]
 * @property {string} [reason] why a start failed
 */

/**
 * One HTTP GET to a container; true on any HTTP answer. App Service's start ping (a request
 * for /robots933456.txt) only asks whether the container answers HTTP at all: a 404 counts.
 * @param {string} url
 */
function probe(url) {
  return new Promise(resolve => {
    const request = httpRequest(url, { method: 'GET', timeout: PROBE_TIMEOUT_MS, headers: { 'User-Agent': 'AzureStandin/HealthCheck' } }, response => {
      response.resume()
      resolve(response.statusCode !== undefined)
    })
    request.on('timeout', () => request.destroy())
    request.on('error', () => resolve(false))
    request.end()
  })
}

/**
 * The containers behind one slot's content: the one serving and the one starting.
 * @param {{ host: ContainerHost, label: string }} options
 */
export function createAppRuntime({ host, label }) {
  /** @type {{ image: string, container: Container, since: string } | undefined} */
  let serving
  /** @type {{ image: string, container?: Container, record: StartRecord, cancelled: boolean } | undefined} */
  let starting
  /** @type {StartRecord[]} */
  const starts = []
  /** @type {Set<Container>} old containers finishing their in-flight requests */
  const draining = new Set()
  let stopped = false

  /** @param {Container} container */
  async function retire(container) {
    draining.add(container)
    await sleep(DRAIN_MS, undefined, { ref: false })
    draining.delete(container)
    await container.stop().catch(() => undefined)
  }

  /**
   * Starts `image` beside what serves now and switches once it is healthy. Resolves when
   * this start has ended, whichever way; a later deploy supersedes an unfinished one.
   * @param {string} image
   * @param {{ healthPath: string, startLimitMs: number, env: Record<string, string>, failStart: boolean }} options
   */
  async function deploy(image, { healthPath, startLimitMs, env, failStart }) {
    if (starting !== undefined) {
      starting.cancelled = true
      starting.record.status = 'superseded'
      starting.record.endedAt = new Date().toISOString()
      void starting.container?.stop().catch(() => undefined)
    }
    /** @type {StartRecord} */
    const record = { image, status: 'starting', startedAt: new Date().toISOString() }
    starts.push(record)
    const attempt = { image, record, cancelled: false, /** @type {Container | undefined} */ container: undefined }
    starting = attempt
    /** @param {string} reason */
    const fail = reason => {
      record.status = 'failed'
      record.reason = reason
      record.endedAt = new Date().toISOString()
      if (starting === attempt) starting = undefined
    }
    try {
      attempt.container = await host.start({ image, env, name: label })
    } catch (error) {
      if (!attempt.cancelled) fail(`The container could not be started: ${error instanceof Error ? error.message : String(error)}`)
      return
    }
    const container = attempt.container
    const deadline = Date.now() + startLimitMs
    const healthUrl = `${container.url}${healthPath.startsWith('/') ? healthPath : `/${healthPath}`}`
    for (;;) {
      if (attempt.cancelled || stopped) {
        await container.stop().catch(() => undefined)
        return
      }
      if (!failStart && (await probe(healthUrl))) break
      if (Date.now() >= deadline) {
        fail(`Container ${label} didn't respond to HTTP pings on port: ${container.port} within ${Math.round(startLimitMs / 1000)} s (${healthPath}), failing site start${failStart ? ' (made to fail by the test)' : ''}. The previous container keeps serving.`)
        await container.stop().catch(() => undefined)
        return
      }
      await sleep(PROBE_INTERVAL_MS)
    }
    const previous = serving
    serving = { image, container, since: new Date().toISOString() }
    record.status = 'succeeded'
    record.endedAt = serving.since
    starting = undefined
    if (previous !== undefined) void retire(previous.container)
  }

  return {
    deploy,
    /** The container traffic goes to now, if any. */
    serving: () => serving,
    /** A plain summary for state(). */
    snapshot() {
      const last = starts.at(-1)
      return {
        serving: serving === undefined ? null : { image: serving.image, since: serving.since, container: serving.container.id, port: serving.container.port },
        starting: starting === undefined ? null : { image: starting.image, since: starting.record.startedAt },
        lastStart: last === undefined ? null : { ...last },
        starts: starts.map(start => ({ ...start })),
        status: starting !== undefined ? 'starting' : last?.status === 'failed' ? 'failed' : serving !== undefined ? 'serving' : 'stopped'
      }
    },
    /** Stops every container of this runtime. */
    async stop() {
      stopped = true
      if (starting !== undefined) starting.cancelled = true
      const containers = [serving?.container, starting?.container, ...draining]
      draining.clear()
      await Promise.all(containers.map(container => container?.stop().catch(() => undefined)))
    }
  }
}

/**
 * App Service's page when no container answers (Linux "Application Error").
 * @param {string} label
 */
function applicationErrorPage(label) {
  return `<!DOCTYPE html>
<html><head><title>Service Unavailable</title></head>
<body><h1>:( Application Error</h1>
<p>If you are the application administrator, you can access the diagnostic resources.</p>
<p>Azure stand-in: no container is serving ${label}.</p></body></html>
`
}

/**
 * The HTTPS listener of one slot, proxying to what `resolve()` returns at request time.
 * @param {{ tls: import('./https-server.mjs').TlsMaterial, label: string, resolve: () => Container | undefined }} options
 */
export async function createSiteListener({ tls, label, resolve }) {
  return listenHttps(tls, (incoming, outgoing) => {
    const target = resolve()
    /** @param {number} status */
    const unavailable = status => {
      const page = applicationErrorPage(label)
      outgoing.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Content-Length': String(Buffer.byteLength(page)), 'X-Azure-Standin': 'no-container' })
      outgoing.end(page)
    }
    if (target === undefined) {
      incoming.resume()
      unavailable(503)
      return
    }
    const upstream = httpRequest(
      {
        host: '127.0.0.1',
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, 'x-forwarded-proto': 'https', 'x-forwarded-for': incoming.socket.remoteAddress ?? '127.0.0.1', 'x-original-host': String(incoming.headers.host ?? '') }
      },
      response => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers)
        response.pipe(outgoing)
      }
    )
    upstream.on('error', () => {
      if (outgoing.headersSent) outgoing.destroy()
      else unavailable(502)
    })
    incoming.pipe(upstream)
  })
}
