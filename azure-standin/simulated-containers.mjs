/**
 * A stand-in for the Docker container host on machines without Docker: each "container" is an
 * in-process HTTP server that answers every path with `{"status":"ok","version":"<tag>"}`
 * and `X-App-Version: <tag>`, and says it is simulated in `X-Azure-Standin`. It starts
 * answering only after a short start delay, so a rollout still sees the old container serve
 * while the new one starts. It records what it was started with (environment, command, the
 * port App Service would forward to) for state(); it always listens on a free loopback port of
 * its own. A one-off run (Container Instances) "runs" its command and exits after the start
 * delay with the exit code and output it is given. Same interface as containers.mjs'
 * createContainerHost().
 */
import { createHash, randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import { setTimeout as sleep } from 'node:timers/promises'

/**
 * The tag of an image reference (`127.0.0.1:5000/estate/api:abc123` → `abc123`): what the
 * simulated app reports as its version. A digest reference reports its digest.
 * @param {string} image
 */
function imageTag(image) {
  const digestAt = image.indexOf('@')
  if (digestAt >= 0) return image.slice(digestAt + 1)
  const lastSlash = image.lastIndexOf('/')
  const lastColon = image.lastIndexOf(':')
  return lastColon > lastSlash ? image.slice(lastColon + 1) : 'latest'
}

/**
 * @param {{ startDelayMs?: () => number }} [options]
 */
export function createSimulatedContainerHost({ startDelayMs = () => 150 } = {}) {
  /** @type {Set<import('./containers.mjs').Container>} */
  const running = new Set()
  /** @type {Set<string>} images "pulled" so far */
  const pulled = new Set()

  /**
   * A run to completion: no HTTP, an exit after the start delay.
   * @param {import('./containers.mjs').StartOptions} options
   * @returns {import('./containers.mjs').Container}
   */
  function oneOff({ image, command = [], simulatedExit = { exitCode: 0, output: '' } }) {
    const startedAt = Date.now()
    const ended = sleep(startDelayMs()).then(() => ({ exitCode: simulatedExit.exitCode, finishedAt: new Date().toISOString() }))
    let done = false
    void ended.then(() => {
      done = true
    })
    const header = `simulated run of ${image}${command.length > 0 ? ` ${command.join(' ')}` : ''}\n`
    /** @type {import('./containers.mjs').Container} */
    const container = {
      id: `simulated-${randomBytes(6).toString('hex')}`,
      port: 0,
      url: 'http://127.0.0.1:0',
      async stop() {
        running.delete(container)
      },
      async logs() {
        return done || Date.now() - startedAt >= startDelayMs() ? `${header}${simulatedExit.output}` : header
      },
      async exited() {
        return done ? { exitCode: simulatedExit.exitCode } : undefined
      },
      wait: () => ended
    }
    running.add(container)
    return container
  }

  return {
    /**
     * A pull that always succeeds; the digest is a hash of the reference.
     * @param {string} image
     * @returns {Promise<import('./containers.mjs').PullResult>}
     */
    async pull(image) {
      const digest = `sha256:${createHash('sha256').update(image).digest('hex')}`
      const upToDate = pulled.has(image)
      pulled.add(image)
      return { digest, upToDate, lines: [`${imageTag(image)}: Pulling from ${image.replace(/[:@][^/]*$/, '')}`, `Digest: ${digest}`, `Status: ${upToDate ? 'Image is up to date' : 'Downloaded newer image'} for ${image}`] }
    },

    /**
     * @param {import('./containers.mjs').StartOptions} options
     * @returns {Promise<import('./containers.mjs').Container>}
     */
    async start(options) {
      const { image, name = 'app', command = [] } = options
      if (!image) throw new Error('start() needs an image')
      if (options.simulatedExit !== undefined) return oneOff(options)
      const version = imageTag(image)
      const readyAt = Date.now() + startDelayMs()
      const log = [`simulated container for ${image} (${name}) starting${command.length > 0 ? `: ${command.join(' ')}` : ''}`]
      const server = createServer((request, response) => {
        request.resume()
        if (Date.now() < readyAt) {
          // Like a process that has not bound its port yet: no HTTP answer at all.
          request.socket.destroy()
          return
        }
        log.push(`${request.method} ${request.url}`)
        const body = JSON.stringify({ status: 'ok', version })
        response.writeHead(200, {
          'Content-Type': 'application/json; charset=utf-8',
          'Content-Length': String(Buffer.byteLength(body)),
          'X-App-Version': version,
          'X-Azure-Standin': 'simulated-container'
        })
        response.end(body)
      })
      await new Promise(resolve => server.listen(0, '127.0.0.1', () => resolve(undefined)))
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      /** @type {Promise<void> | undefined} */
      let stopping
      /** @type {import('./containers.mjs').Container} */
      const container = {
        id: `simulated-${randomBytes(6).toString('hex')}`,
        port,
        url: `http://127.0.0.1:${port}`,
        stop() {
          stopping ??= new Promise(resolve => {
            server.close(() => resolve(undefined))
            server.closeAllConnections()
          }).then(() => {
            running.delete(container)
          })
          return stopping
        },
        async logs() {
          return `${log.join('\n')}\n`
        }
      }
      running.add(container)
      return container
    },

    async stopAll() {
      await Promise.all([...running].map(container => container.stop()))
    }
  }
}
