/**
 * What a Web App (or slot) serves, the way App Service for Containers does it
 * (https://learn.microsoft.com/azure/app-service/configure-custom-container):
 *
 * - Every container start pulls the image first ("Each time the app restarts, App Service
 *   performs the docker pull command"), so a restart picks up what a mutable tag names now.
 *   A pull the registry refuses (no or wrong credentials, registry-access.mjs) or that fails
 *   falls back to the image this worker pulled before, if any ("Image pull failed. Defaulting
 *   to local copy if present."); with no local copy the start fails.
 * - A changed image starts **beside** the old container: the old one serves until the new one
 *   answers the warm-up ping, then traffic switches and the old one stops.
 * - A **restart** (POST restart, or a configuration change that keeps the image) stops the
 *   running container first: the slot answers 503 until the new one is ready.
 * - The warm-up ping is a GET of WEBSITE_WARMUP_PATH (default `/robots933456.txt`) on the
 *   container's port; any HTTP answer counts. A container that does not answer within the
 *   start limit (WEBSITES_CONTAINER_START_TIME_LIMIT, 230 s by default on Azure) fails the start;
 *   with a start beside, the old container goes on serving.
 *
 * Each step is written to the worker's docker log (docker-log.mjs) as App Service words it.
 * Each slot has its own HTTPS listener (its "default host name"), which proxies to whatever the
 * slot serves at that moment, or answers 503 with App Service's "Application Error" page.
 */
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'
import { createDockerLog } from './docker-log.mjs'
import { listenHttps } from './https-server.mjs'

const PROBE_INTERVAL_MS = 100
const PROBE_TIMEOUT_MS = 2000
/** How often a start checks whether its container has already exited. */
const EXIT_CHECK_MS = 1000
/** In-flight requests to an old container get this long to finish after traffic switches. */
const DRAIN_MS = 500

/**
 * @typedef {import('./containers.mjs').Container} Container
 * @typedef {{ pull?(image: string): Promise<import('./containers.mjs').PullResult>, start(options: import('./containers.mjs').StartOptions): Promise<Container>, stopAll(): Promise<void> }} ContainerHost
 *
 * @typedef {object} StartSpec what App Service starts for a slot
 * @property {string} image
 * @property {number} port the port App Service pings and forwards to
 * @property {string[]} command the start command after the image (appCommandLine as argv); empty: the image's own
 * @property {Record<string, string>} env what the container gets as environment
 * @property {string} warmupPath
 * @property {number} startLimitMs
 * @property {boolean} failStart made to fail by the test
 * @property {import('./registry-access.mjs').PullDecision} pull whether the registry lets this worker pull
 * @property {string} site the name App Service logs for the site (`app`, or `app__slot` for a slot)
 *
 * @typedef {object} StartRecord
 * @property {string} image
 * @property {'beside' | 'restart'} mode
 * @property {'starting' | 'succeeded' | 'failed' | 'superseded'} status
 * @property {string} startedAt
 * @property {string} [endedAt]
 * @property {string | null} digest what the pull found the image to be
 * @property {string} [reason] why a start failed
 */

/**
 * One HTTP GET to a container; true on any HTTP answer. App Service's warm-up ping only asks
 * whether the container answers HTTP at all: a 404 counts.
 * @param {string} url
 */
function probe(url) {
  return new Promise(resolve => {
    const request = httpRequest(url, { method: 'GET', timeout: PROBE_TIMEOUT_MS, headers: { 'User-Agent': 'AzureStandin/WarmupPing' } }, response => {
      response.resume()
      resolve(response.statusCode !== undefined)
    })
    request.on('timeout', () => request.destroy())
    request.on('error', () => resolve(false))
    request.end()
  })
}

/**
 * How long a pull took, as App Service writes it.
 * @param {number} ms
 */
function timeTaken(ms) {
  const seconds = Math.round(ms / 1000)
  return `${Math.floor(seconds / 60)} Minutes and ${seconds % 60} Seconds`
}

/**
 * The `docker run` line App Service logs: the port mapping, the container name, the WEBSITE_*
 * variables (app settings are passed but not listed), the image and the start command.
 * @param {string} containerName
 * @param {StartSpec} spec
 */
function dockerRunLine(containerName, spec) {
  const shown = Object.entries(spec.env).filter(([key]) => /^WEBSITES?_/.test(key) || key === 'HTTP_LOGGING_ENABLED')
  const variables = shown.map(([key, value]) => `-e ${key}=${value}`).join(' ')
  const hostPort = 2000 + Math.floor(Math.random() * 8000)
  return `docker run -d -p ${hostPort}:${spec.port} --name ${containerName} ${variables} ${spec.image} ${spec.command.join(' ')} `.replace(/ {2,}/g, ' ')
}

/**
 * The containers behind one slot's content: the one serving and the one starting, and the
 * docker log of the worker that runs them.
 * @param {{ host: ContainerHost }} options
 */
export function createAppRuntime({ host }) {
  const log = createDockerLog()
  /** @type {{ image: string, digest: string | null, container: Container, since: string, spec: StartSpec, name: string } | undefined} */
  let serving
  /** @type {{ image: string, container?: Container, record: StartRecord, cancelled: boolean } | undefined} */
  let starting
  /** @type {StartRecord[]} */
  const starts = []
  /** Images this worker has pulled, with the digest it got: its local copies. @type {Map<string, string | null>} */
  const localCopies = new Map()
  /** @type {Set<Container>} old containers finishing their in-flight requests */
  const draining = new Set()
  let stopped = false

  /**
   * Stops a container, keeping its output in the docker log.
   * @param {Container} container
   */
  async function stopContainer(container) {
    const output = await container.logs().catch(() => '')
    if (output !== '') log.appendOutput(output)
    await container.stop().catch(() => undefined)
  }

  /** @param {Container} container */
  async function retire(container) {
    draining.add(container)
    await sleep(DRAIN_MS, undefined, { ref: false })
    draining.delete(container)
    await stopContainer(container)
  }

  /**
   * Pulls as App Service does, writing the pull's lines. Resolves to the digest to run, or
   * undefined when there is nothing to run (the failure is logged).
   * @param {StartSpec} spec
   * @returns {Promise<{ digest: string | null } | { failure: string }>}
   */
  async function pull(spec) {
    const started = Date.now()
    log.write('INFO', `Pulling image: ${spec.image}`)
    /** @param {string} reason */
    const fallBack = reason => {
      log.write('WARN', 'Image pull failed. Defaulting to local copy if present.')
      if (localCopies.has(spec.image)) return { digest: localCopies.get(spec.image) ?? null }
      log.write('ERROR', 'Image pull failed: Verify docker image configuration and credentials (if using private repository)')
      return { failure: reason }
    }
    if (!spec.pull.allowed) {
      const [registry, ...rest] = spec.image.split('/')
      const reference = rest.join('/')
      const [repository = reference, tag = 'latest'] = reference.split(/[:@](?=[^/]*$)/)
      log.write(
        'ERROR',
        `DockerApiException: Docker API responded with status code=InternalServerError, response={"message":"Head \\"https://${registry}/v2/${repository}/manifests/${tag}\\": unauthorized: authentication required, visit https://aka.ms/acr/authorization for more information."}`
      )
      log.write('ERROR', `Pulling docker image ${spec.image} failed:`)
      return fallBack(`The image pull was refused (unauthorized: ${spec.pull.reason})`)
    }
    if (host.pull === undefined) {
      localCopies.set(spec.image, null)
      log.write('INFO', `Pull Image successful, Time taken: ${timeTaken(Date.now() - started)}`)
      return { digest: null }
    }
    try {
      const result = await host.pull(spec.image)
      for (const line of result.lines) log.write('INFO', /^(Digest|Status):/.test(line) ? ` ${line}` : line)
      log.write('INFO', `Pull Image successful, Time taken: ${timeTaken(Date.now() - started)}`)
      localCopies.set(spec.image, result.digest)
      return { digest: result.digest }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      log.write('ERROR', `DockerApiException: Docker API responded with status code=NotFound, response={"message":${JSON.stringify(message)}}`)
      log.write('ERROR', `Pulling docker image ${spec.image} failed:`)
      return fallBack(`The image could not be pulled: ${message}`)
    }
  }

  /**
   * Starts `spec` (beside what serves now, or after stopping it for a restart) and switches
   * once it answers the warm-up ping. Resolves when this start has ended, whichever way; a
   * later deploy supersedes an unfinished one.
   * @param {StartSpec} spec
   * @param {{ restart?: boolean }} [options]
   */
  async function deploy(spec, { restart = false } = {}) {
    if (starting !== undefined) {
      starting.cancelled = true
      starting.record.status = 'superseded'
      starting.record.endedAt = new Date().toISOString()
      const abandoned = starting.container
      if (abandoned !== undefined) void stopContainer(abandoned)
    }
    /** @type {StartRecord} */
    const record = { image: spec.image, mode: restart ? 'restart' : 'beside', status: 'starting', startedAt: new Date().toISOString(), digest: null }
    starts.push(record)
    /** @type {{ image: string, container?: Container, record: StartRecord, cancelled: boolean }} */
    const attempt = { image: spec.image, record, cancelled: false }
    starting = attempt
    /** @param {string} reason */
    const fail = reason => {
      record.status = 'failed'
      record.reason = reason
      record.endedAt = new Date().toISOString()
      if (starting === attempt) starting = undefined
      log.write('INFO', `Stopping site ${spec.site} because it failed during startup.`)
    }
    if (restart && serving !== undefined) {
      // A restart has downtime: the running container stops before the new one starts.
      const previous = serving
      serving = undefined
      await stopContainer(previous.container)
    }
    const pulled = await pull(spec)
    if (attempt.cancelled || stopped) return
    if ('failure' in pulled) {
      fail(pulled.failure)
      return
    }
    record.digest = pulled.digest
    const containerName = `${spec.site}_0_${randomBytes(4).toString('hex')}`
    log.write('INFO', 'Starting container for site')
    log.write('INFO', dockerRunLine(containerName, spec))
    log.blank()
    try {
      attempt.container = await host.start({ image: spec.image, env: spec.env, name: containerName, command: spec.command, port: spec.port, network: 'isolated', pull: 'never' })
    } catch (error) {
      if (attempt.cancelled) return
      const message = error instanceof Error ? error.message : String(error)
      log.write('ERROR', `Container ${containerName} for site ${spec.site} could not be started: ${message}`)
      fail(`The container could not be started: ${message}`)
      return
    }
    const container = attempt.container
    log.write('INFO', `Initiating warmup request to container ${containerName} for site ${spec.site}`)
    const began = Date.now()
    const deadline = began + spec.startLimitMs
    const pingUrl = `${container.url}${spec.warmupPath.startsWith('/') ? spec.warmupPath : `/${spec.warmupPath}`}`
    let nextExitCheck = began + EXIT_CHECK_MS
    for (;;) {
      if (attempt.cancelled || stopped) {
        await stopContainer(container)
        return
      }
      if (!spec.failStart && (await probe(pingUrl))) break
      const now = Date.now()
      const exited = now >= nextExitCheck && container.exited !== undefined ? await container.exited() : undefined
      if (now >= nextExitCheck) nextExitCheck = now + EXIT_CHECK_MS
      if (exited !== undefined || now >= deadline) {
        if (exited !== undefined) log.write('ERROR', `Container ${containerName} for site ${spec.site} has exited, failing site start`)
        else log.write('ERROR', `Container ${containerName} for site ${spec.site} did not start within expected time limit. Elapsed time = ${((now - began) / 1000).toFixed(7)} sec`)
        log.write('ERROR', `Container ${containerName} didn't respond to HTTP pings on port: ${spec.port}, failing site start. See container logs for debugging.`)
        // The stop line follows the failure at once, as in App Service's log (tens of ms), not once the container is gone:
        // a start requested right after the failure must not find this start's last line among its own.
        fail(
          `Container ${containerName} didn't respond to HTTP pings on port: ${spec.port}${exited !== undefined ? ` (it exited with code ${exited.exitCode})` : ` within ${Math.round(spec.startLimitMs / 1000)} s`}, failing site start${spec.failStart ? ' (made to fail by the test)' : ''}.${serving !== undefined ? ' The previous container keeps serving.' : ''}`
        )
        await stopContainer(container)
        return
      }
      await sleep(PROBE_INTERVAL_MS)
    }
    log.write('INFO', `Container ${containerName} for site ${spec.site} initialized successfully and is ready to serve requests.`)
    const previous = serving
    serving = { image: spec.image, digest: pulled.digest, container, since: new Date().toISOString(), spec, name: containerName }
    record.status = 'succeeded'
    record.endedAt = serving.since
    starting = undefined
    if (previous !== undefined) void retire(previous.container)
  }

  return {
    deploy,
    log,
    /** The container traffic goes to now, if any. */
    serving: () => serving,
    /** Output of the containers running now (for the live part of the docker log). */
    async liveOutput() {
      const current = [serving?.container, starting?.container].filter(container => container !== undefined)
      const outputs = await Promise.all(current.map(container => container.logs().catch(() => '')))
      return outputs.join('')
    },
    /** A plain summary for state(). */
    snapshot() {
      const last = starts.at(-1)
      return {
        serving:
          serving === undefined
            ? null
            : {
                image: serving.image,
                digest: serving.digest,
                since: serving.since,
                name: serving.name,
                container: serving.container.id,
                port: serving.spec.port,
                url: serving.container.url,
                command: [...serving.spec.command],
                env: { ...serving.spec.env }
              },
        starting: starting === undefined ? null : { image: starting.image, since: starting.record.startedAt, mode: starting.record.mode },
        lastStart: last === undefined ? null : { ...last },
        starts: starts.map(start => ({ ...start })),
        status: starting !== undefined ? 'starting' : last?.status === 'failed' ? 'failed' : serving !== undefined ? 'serving' : 'stopped',
        dockerLog: { machine: log.machine, file: log.platformFile }
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
    const upstreamUrl = new URL(target.url)
    const upstream = httpRequest(
      {
        host: upstreamUrl.hostname,
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
