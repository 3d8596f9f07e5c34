/**
 * Runs a Web App's container image with the real Docker engine, for the Azure stand-in: a
 * health check of a stand-in Web App then reaches a real container.
 *
 * Containers use the host network (the engine here has no bridge), so each one gets a free
 * loopback port in PORT, as App Service passes PORT to a container. Docker is driven
 * through its CLI with argv arrays, never a shell.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'

const DOCKER = 'docker'
const PULL_TIMEOUT_MS = 300_000
const COMMAND_TIMEOUT_MS = 60_000

/**
 * @typedef {object} Container
 * @property {string} id the container id
 * @property {number} port the loopback port given to the container in PORT
 * @property {string} url `http://127.0.0.1:<port>`
 * @property {() => Promise<void>} stop removes the container; safe to call more than once
 * @property {() => Promise<string>} logs the container's output so far (stdout, then stderr)
 *
 * @typedef {object} StartOptions
 * @property {string} image the image reference, with its registry host (e.g. `127.0.0.1:5555/estate/api:<sha>`)
 * @property {Record<string, string>} [env] environment for the container; PORT is always the chosen port
 * @property {string} [name] part of the container name, for people reading `docker ps`
 */

/**
 * Runs `docker` with the given arguments.
 * @param {string[]} args
 * @param {number} [timeout]
 * @returns {Promise<{ stdout: string, stderr: string }>}
 */
function docker(args, timeout = COMMAND_TIMEOUT_MS) {
  return new Promise((resolve, reject) => {
    execFile(DOCKER, args, { timeout, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { stdout, stderr }))
      else resolve({ stdout, stderr })
    })
  })
}

/**
 * Why a docker command failed, in a few lines: its stderr's last lines, else the error.
 * @param {unknown} error
 */
function explain(error) {
  const err = /** @type {NodeJS.ErrnoException & { stderr?: string, killed?: boolean }} */ (error)
  if (err.code === 'ENOENT') return 'the docker CLI is not on PATH'
  if (err.killed) return 'timed out'
  const lines = String(err.stderr ?? '').trim().split('\n').filter(Boolean).slice(-5)
  return lines.length > 0 ? lines.join('\n') : err.message
}

/**
 * Whether a Docker engine answers here.
 * @returns {Promise<{ available: true } | { available: false, reason: string }>}
 */
export async function detectDocker() {
  try {
    await docker(['info', '--format', '{{.ServerVersion}}'], 5_000)
    return { available: true }
  } catch (error) {
    return { available: false, reason: `docker info: ${explain(error)}` }
  }
}

/**
 * A TCP port free on 127.0.0.1 right now (the OS picks it).
 * @returns {Promise<number>}
 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.on('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))))
    })
  })
}

/**
 * Starts and tracks containers; stopAll() removes every one it started.
 * @param {{ namePrefix?: string }} [options]
 */
export function createContainerHost({ namePrefix = 'apd-standin' } = {}) {
  /** @type {Set<Container>} */
  const running = new Set()
  // Ports handed out but maybe not bound yet by their container: freePort() could offer them again.
  /** @type {Set<number>} */
  const given = new Set()

  /** @param {string} image */
  async function ensureImage(image) {
    try {
      await docker(['image', 'inspect', '--format', '{{.Id}}', image])
      return
    } catch {
      // Not present locally: pull it.
    }
    try {
      await docker(['pull', '--quiet', image], PULL_TIMEOUT_MS)
    } catch (error) {
      throw new Error(`docker pull ${image} failed: ${explain(error)}`)
    }
  }

  async function pickPort() {
    for (;;) {
      const port = await freePort()
      if (!given.has(port)) {
        given.add(port)
        return port
      }
    }
  }

  return {
    /**
     * Pulls the image when missing and runs it detached. Resolves once the container is
     * running, not once it answers HTTP: the caller probes.
     * @param {StartOptions} options
     * @returns {Promise<Container>}
     */
    async start({ image, env = {}, name = 'app' }) {
      if (!image) throw new Error('start() needs an image')
      await ensureImage(image)
      const port = await pickPort()
      const safeName = name.replace(/[^a-zA-Z0-9_.-]/g, '-')
      const containerName = `${namePrefix}-${safeName}-${randomBytes(4).toString('hex')}`
      const envArgs = Object.entries(env)
        .filter(([key]) => key !== 'PORT')
        .flatMap(([key, value]) => ['-e', `${key}=${value}`])
      const args = ['run', '-d', '--rm', '--network', 'host', '-e', `PORT=${port}`, ...envArgs, '--name', containerName, image]
      let id
      try {
        id = (await docker(args)).stdout.trim()
      } catch (error) {
        given.delete(port)
        throw new Error(`docker run ${image} failed: ${explain(error)}`)
      }

      /** @type {Promise<void> | undefined} */
      let stopping
      /** @type {Container} */
      const container = {
        id,
        port,
        url: `http://127.0.0.1:${port}`,
        stop() {
          stopping ??= docker(['rm', '-f', id]).then(
            () => undefined,
            error => {
              // With --rm a container that exited is already gone: that is stopped too.
              if (!/no such container/i.test(String(error.stderr))) {
                stopping = undefined
                throw new Error(`docker rm -f ${containerName} failed: ${explain(error)}`)
              }
            }
          ).then(() => {
            running.delete(container)
            given.delete(port)
          })
          return stopping
        },
        async logs() {
          try {
            const { stdout, stderr } = await docker(['logs', id])
            return stdout + stderr
          } catch (error) {
            throw new Error(`docker logs ${containerName} failed: ${explain(error)}`)
          }
        }
      }
      running.add(container)
      return container
    },

    /** Removes every container this host started. */
    async stopAll() {
      await Promise.all([...running].map(container => container.stop()))
    }
  }
}
