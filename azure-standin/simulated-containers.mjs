/**
 * A stand-in for the Docker container host on machines without Docker: each "container" is an
 * in-process HTTP server that answers every path with `{"status":"ok","version":"<tag>"}`
 * and `X-App-Version: <tag>`, and says it is simulated in `X-Azure-Standin`. It starts
 * answering only after a short start delay, so a rollout still sees the old container serve
 * while the new one starts. Same interface as containers.mjs' createContainerHost().
 */
import { createServer } from 'node:http'
import { randomBytes } from 'node:crypto'

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

  return {
    /**
     * @param {import('./containers.mjs').StartOptions} options
     * @returns {Promise<import('./containers.mjs').Container>}
     */
    async start({ image, name = 'app' }) {
      if (!image) throw new Error('start() needs an image')
      const version = imageTag(image)
      const readyAt = Date.now() + startDelayMs()
      const log = [`simulated container for ${image} (${name}) starting`]
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
