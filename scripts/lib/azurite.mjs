// A real Azurite blob service for the tests, the demo and the benchmarks: its own process,
// a free loopback port and a throwaway folder.
/**
 * A real Azurite blob service: its own process, a free loopback port and a
 * throwaway folder. With `https` and `oauth` it accepts the bearer tokens Entra ID issues for
 * https://storage.azure.com, so tests sign in the way production does.
 */
import { randomUUID } from 'node:crypto'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import selfsigned from 'selfsigned'
import { freePort } from '../../azure-standin/containers.mjs'

/** Azurite's well-known development account: the first path segment of every blob URL. */
export const AZURITE_ACCOUNT = 'devstoreaccount1'
/** Its well-known shared key: the deploy signs in with tokens, so this never appears in its output. */
export const AZURITE_ACCOUNT_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

export const AZURITE_MAIN = fileURLToPath(new URL('../../node_modules/azurite/dist/src/blob/main.js', import.meta.url))

/**
 * @typedef {object} AzuriteOptions
 * @property {{ cert: string, key: string }} [https] PEM text of the server certificate (for 127.0.0.1) and its key; without it Azurite speaks HTTP
 * @property {boolean} [oauth] `--oauth basic`: accept bearer tokens (needs `https`; Azurite refuses bearer over HTTP)
 * @property {number} [startTimeoutMs] milliseconds to wait for the service to listen
 * @property {string[]} [accounts] storage accounts to serve instead of devstoreaccount1 alone (each with AZURITE_ACCOUNT_KEY as its key)
 *
 * @typedef {object} Azurite
 * @property {string} blobEndpoint `http(s)://127.0.0.1:<port>/devstoreaccount1` (the first of `accounts` when given)
 * @property {(account: string) => string} endpointOf the blob endpoint of one of `accounts`
 * @property {number} port
 * @property {() => Promise<void>} stop
 */

/**
 * A self-signed certificate for 127.0.0.1 (PEM text; `caCertPem` is the certificate itself, to
 * trust). Azurite's Put Block From URL reads its source from itself over HTTPS, trusting exactly
 * the certificate it serves: only a self-signed one passes that check (one a test CA signs does
 * not), so tests of server-side copies start Azurite with this.
 * @returns {Promise<{ cert: string, key: string, caCertPem: string }>}
 */
export async function selfSignedTls() {
  const day = 24 * 60 * 60 * 1000
  // A subject of its own: test files leave their certificates in the process's trusted list,
  // and OpenSSL looks issuers up by subject, so several `CN=127.0.0.1` there could make it try
  // another test's certificate and refuse this one as an unknown self-signed certificate.
  const pems = await selfsigned.generate([{ name: 'commonName', value: `Azurite test ${randomUUID()}` }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate: new Date(Date.now() - day),
    notAfterDate: new Date(Date.now() + 30 * day),
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      { name: 'subjectAltName', altNames: [{ type: 7, ip: '127.0.0.1' }, { type: 2, value: 'localhost' }] }
    ]
  })
  return { cert: pems.cert, key: pems.private, caCertPem: pems.cert }
}

/**
 * @param {number} port
 * @param {string} location
 * @param {AzuriteOptions} options
 */
function argumentsFor(port, location, options) {
  const args = [
    AZURITE_MAIN,
    '--blobHost', '127.0.0.1',
    '--blobPort', String(port),
    '--location', location,
    '--silent',
    // The current SDK sends an api-version newer than Azurite knows: 400 on every call without it.
    '--skipApiVersionCheck',
    // Azurite sends usage data by default; tests must not reach the internet.
    '--disableTelemetry'
  ]
  if (options.https) {
    const cert = path.join(location, 'server.pem')
    const key = path.join(location, 'server-key.pem')
    writeFileSync(cert, options.https.cert)
    writeFileSync(key, options.https.key, { mode: 0o600 })
    args.push('--cert', cert, '--key', key)
  }
  if (options.oauth) args.push('--oauth', 'basic')
  return args
}

/**
 * Resolves once the child prints that it listens; rejects with its output when it exits first.
 * @param {import('node:child_process').ChildProcess} child
 * @param {number} timeoutMs
 * @returns {Promise<void>}
 */
function listening(child, timeoutMs) {
  return new Promise((resolve, reject) => {
    let output = ''
    /** @param {Error} [error] */
    const done = error => {
      clearTimeout(timer)
      child.stdout?.off('data', onData)
      child.stderr?.off('data', onData)
      child.off('exit', onExit)
      if (error) reject(error)
      else resolve()
    }
    /** @param {Buffer} chunk */
    const onData = chunk => {
      output += chunk.toString('utf8')
      if (/successfully listens on/i.test(output)) done()
    }
    /** @param {number | null} code */
    const onExit = code => done(new Error(`azurite-blob exited (${code}) before listening:\n${output}`))
    const timer = setTimeout(() => done(new Error(`azurite-blob did not listen within ${timeoutMs} ms:\n${output}`)), timeoutMs)
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    child.once('exit', onExit)
  })
}

/** @param {import('node:child_process').ChildProcess} child */
async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise(resolve => child.once('exit', () => resolve(undefined)))
  child.kill('SIGTERM')
  const stopped = await Promise.race([exited.then(() => true), sleep(5000, undefined, { ref: false }).then(() => false)])
  if (!stopped) {
    child.kill('SIGKILL')
    await exited
  }
}

/**
 * Start Azurite's blob service; `stop()` ends it and deletes its folder.
 * @param {AzuriteOptions} [options]
 * @returns {Promise<Azurite>}
 */
export async function startAzurite(options = {}) {
  if (options.oauth && !options.https) throw new Error('Azurite accepts bearer tokens only over HTTPS: pass https with oauth')
  const location = mkdtempSync(path.join(tmpdir(), 'apd-azurite-'))
  /** @type {unknown} */
  let lastError
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort()
    // process.execPath: Azurite needs Node >= 22, whatever `node` is first on PATH.
    // AZURITE_ACCOUNTS replaces the well-known account by the ones it names.
    const env = options.accounts ? { ...process.env, AZURITE_ACCOUNTS: options.accounts.map(account => `${account}:${AZURITE_ACCOUNT_KEY}`).join(';') } : process.env
    const child = spawn(process.execPath, argumentsFor(port, location, options), { stdio: ['ignore', 'pipe', 'pipe'], env })
    try {
      await listening(child, options.startTimeoutMs ?? 20_000)
    } catch (error) {
      await stopChild(child)
      // Another process may take the port between freePort() and Azurite's listen: try another.
      if (!/EADDRINUSE/.test(String(error))) {
        rmSync(location, { recursive: true, force: true })
        throw error
      }
      lastError = error
      continue
    }
    // Drain the pipes so a chatty child never blocks on a full buffer.
    child.stdout?.resume()
    child.stderr?.resume()
    const scheme = options.https ? 'https' : 'http'
    /** @param {string} account */
    const endpointOf = account => `${scheme}://127.0.0.1:${port}/${account}`
    return {
      blobEndpoint: endpointOf(options.accounts?.[0] ?? AZURITE_ACCOUNT),
      endpointOf,
      port,
      async stop() {
        await stopChild(child)
        rmSync(location, { recursive: true, force: true })
      }
    }
  }
  rmSync(location, { recursive: true, force: true })
  throw lastError
}
