/**
 * Runs container images with the real Docker engine, for the Azure stand-in: a health check of
 * a stand-in Web App then reaches a real container, and a Container Instances group really runs
 * its command. Docker is driven through its CLI with argv arrays, never a shell.
 *
 * Networks:
 * - `isolated` (Web Apps): each container in its own network namespace on the stand-in's bridge
 *   network `apd-standin`, listening on the port App Service forwards to (WEBSITES_PORT, else 80)
 *   at its own address, as App Service's `docker run -p <host port>:<container port>` gives
 *   every container its own port space. Two apps (or an old and a new container of one app)
 *   can then both listen on 8000. The host's services are reachable at `host.docker.internal`
 *   (the bridge's gateway) when they listen there. When the engine cannot make a bridge network
 *   the host network is used instead, with a free port in PORT (`network()` says which).
 * - `host` (Container Instances): the host network, so a one-off command reaches loopback
 *   services (a database on 127.0.0.1).
 * A caller that names neither a network nor a port gets the host network and a free loopback
 * port in PORT.
 */
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer } from 'node:net'

const DOCKER = 'docker'
const PULL_TIMEOUT_MS = 300_000
const COMMAND_TIMEOUT_MS = 60_000
/** The stand-in's bridge network; made once per engine and left for the next run. */
export const NETWORK = 'apd-standin'

/**
 * @typedef {object} Container
 * @property {string} id the container id
 * @property {number} port the port the container listens on (what App Service forwards to)
 * @property {string} url `http://<address>:<port>`
 * @property {() => Promise<void>} stop removes the container; safe to call more than once
 * @property {() => Promise<string>} logs the container's output so far (stdout, then stderr)
 * @property {() => Promise<{ exitCode: number | null } | undefined>} [exited] how it ended, undefined while it runs
 * @property {() => Promise<{ exitCode: number | null, finishedAt: string }>} [wait] resolves when it has exited
 *
 * @typedef {object} StartOptions
 * @property {string} image the image reference, with its registry host (e.g. `127.0.0.1:5555/estate/api:<sha>`)
 * @property {Record<string, string>} [env] environment for the container
 * @property {string} [name] part of the container name, for people reading `docker ps`
 * @property {string[]} [command] arguments after the image (the image's CMD is replaced)
 * @property {boolean} [replaceEntrypoint] the command's first word replaces the image's ENTRYPOINT too (Container Instances)
 * @property {number} [port] the port the container listens on
 * @property {'isolated' | 'host'} [network] `isolated` (the default when a port is given) or `host`
 * @property {'missing' | 'never'} [pull] pull when missing (default), or never (the caller pulled)
 * @property {boolean} [keep] keep the container after it exits (for its exit code and logs) until stop()
 * @property {{ exitCode: number, output: string }} [simulatedExit] how a simulated one-off run ends (simulated host only)
 *
 * @typedef {object} PullResult
 * @property {string | null} digest `sha256:…` of what the tag names now
 * @property {boolean} upToDate the host had that digest already
 * @property {string[]} lines what the pull printed, line by line
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
  /** @type {Promise<{ mode: 'bridge', gateway: string } | { mode: 'host', reason: string }> | undefined} */
  let bridge

  /**
   * The stand-in's bridge network, made when missing, with its gateway (where the host's
   * services answer); the host network when the engine cannot make it.
   */
  function network() {
    bridge ??= (async () => {
      // Docker's `host-gateway` names the default bridge's address, which an engine run with
      // --bridge=none lacks ("<nil>" in /etc/hosts): the network's own gateway always works.
      const gateway = async () => {
        const { stdout } = await docker(['network', 'inspect', '--format', '{{range .IPAM.Config}}{{.Gateway}} {{end}}', NETWORK])
        return stdout.trim().split(/\s+/).find(address => /^\d+\.\d+\.\d+\.\d+$/.test(address)) ?? 'host-gateway'
      }
      try {
        return /** @type {const} */ ({ mode: 'bridge', gateway: await gateway() })
      } catch {
        // Not there yet: make it.
      }
      try {
        await docker(['network', 'create', '--driver', 'bridge', NETWORK])
      } catch (error) {
        // Another process may have made it meanwhile.
        if (!/already exists/i.test(String(/** @type {{ stderr?: string }} */ (error).stderr))) return /** @type {const} */ ({ mode: 'host', reason: `docker network create ${NETWORK}: ${explain(error)}` })
      }
      return /** @type {const} */ ({ mode: 'bridge', gateway: await gateway().catch(() => 'host-gateway') })
    })()
    return bridge
  }

  /** @param {string} image */
  async function isPresent(image) {
    try {
      await docker(['image', 'inspect', '--format', '{{.Id}}', image])
      return true
    } catch {
      return false
    }
  }

  /**
   * `docker pull`, as App Service runs it on every start.
   * @param {string} image
   * @returns {Promise<PullResult>}
   */
  async function pull(image) {
    let output
    try {
      output = await docker(['pull', image], PULL_TIMEOUT_MS)
    } catch (error) {
      throw new Error(`docker pull ${image} failed: ${explain(error)}`)
    }
    const lines = output.stdout.split('\n').map(line => line.trimEnd()).filter(line => line !== '' && line !== image)
    const digest = /Digest: (sha256:[a-f0-9]{64})/.exec(output.stdout)?.[1] ?? null
    return { digest, upToDate: /Image is up to date/.test(output.stdout), lines }
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
    pull,
    /** Where `isolated` containers run: the bridge, or the host network and why. */
    network,

    /**
     * Runs the image detached (pulling it first when missing, unless told not to). Resolves
     * once the container is running, not once it answers HTTP: the caller probes.
     * @param {StartOptions} options
     * @returns {Promise<Container>}
     */
    async start({ image, env = {}, name = 'app', command = [], replaceEntrypoint = false, port, network: wanted, pull: pullPolicy = 'missing', keep = false }) {
      if (!image) throw new Error('start() needs an image')
      if (pullPolicy === 'missing' && !(await isPresent(image))) await pull(image)
      const where = wanted !== 'host' && port !== undefined ? await network() : undefined
      const isolated = where?.mode === 'bridge'
      // Without a namespace of its own a server listens where PORT says, on a free loopback
      // port; a host-network run that names no port (a one-off command) gets none.
      const choosePort = !isolated && !(wanted === 'host')
      const hostPort = choosePort ? await pickPort() : undefined
      const listenPort = hostPort ?? port ?? 0
      const safeName = name.replace(/[^a-zA-Z0-9_.-]/g, '-')
      const containerName = `${namePrefix}-${safeName}-${randomBytes(4).toString('hex')}`
      const portEnv = choosePort ? { PORT: String(listenPort) } : {}
      const envArgs = Object.entries({ ...env, ...portEnv }).flatMap(([key, value]) => ['-e', `${key}=${value}`])
      const networkArgs = where?.mode === 'bridge' ? ['--network', NETWORK, '--add-host', `host.docker.internal:${where.gateway}`] : ['--network', 'host']
      const [entrypoint, ...rest] = command
      const argv = replaceEntrypoint && entrypoint !== undefined ? ['--entrypoint', entrypoint, image, ...rest] : [image, ...command]
      const args = ['run', '-d', ...(keep ? [] : ['--rm']), ...networkArgs, ...envArgs, '--name', containerName, ...argv]
      let id
      try {
        id = (await docker(args)).stdout.trim()
      } catch (error) {
        if (hostPort !== undefined) given.delete(hostPort)
        throw new Error(`docker run ${image} failed: ${explain(error)}`)
      }
      let address = '127.0.0.1'
      if (isolated) {
        try {
          address = (await docker(['inspect', '--format', `{{(index .NetworkSettings.Networks "${NETWORK}").IPAddress}}`, id])).stdout.trim() || address
        } catch {
          // Exited and removed already: the probe will find nothing there.
        }
      }

      /** @type {Promise<void> | undefined} */
      let stopping
      /** @type {Container} */
      const container = {
        id,
        port: listenPort,
        url: `http://${address}:${listenPort}`,
        stop() {
          stopping ??= docker(['rm', '-f', id])
            .then(
              () => undefined,
              error => {
                // With --rm a container that exited is already gone: that is stopped too.
                if (!/no such container/i.test(String(error.stderr))) {
                  stopping = undefined
                  throw new Error(`docker rm -f ${containerName} failed: ${explain(error)}`)
                }
              }
            )
            .then(() => {
              running.delete(container)
              if (hostPort !== undefined) given.delete(hostPort)
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
        },
        async exited() {
          try {
            const [state = '', code = ''] = (await docker(['inspect', '--format', '{{.State.Status}} {{.State.ExitCode}}', id])).stdout.trim().split(' ')
            return state === 'exited' || state === 'dead' ? { exitCode: Number(code) } : undefined
          } catch {
            return { exitCode: null }
          }
        },
        async wait() {
          try {
            const { stdout } = await docker(['wait', id], 24 * 60 * 60 * 1000)
            return { exitCode: Number(stdout.trim()), finishedAt: new Date().toISOString() }
          } catch {
            return { exitCode: null, finishedAt: new Date().toISOString() }
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
