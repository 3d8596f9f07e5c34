/**
 * Kudu, the SCM site of each Web App slot, as far as a deploy uses it to prove from App
 * Service's own record that a new container started: the docker log.
 *
 * | route (on the slot's SCM host)        | answers |
 * | GET /api/logs/docker                  | 200 `[{ machineName, lastUpdated, size, href, path }]`, one entry per current docker log file |
 * | GET /api/vfs/LogFiles/{file}          | 200 the file as text/plain; 404 for a file that does not exist |
 *
 * The listing follows KuduLite's DiagnosticsController.GetDockerLogs: files named
 * `YYYY_MM_DD_<machine>[_default]_docker.log`, `machineName` the part between the date and
 * `_docker.log`, `href` the file under `<scm>/api/vfs/`, `path` under /home. See
 * https://learn.microsoft.com/azure/app-service/configure-custom-container#kudu-api.
 *
 * Kudu takes an Entra access token for Azure Resource Manager's audience
 * (`Authorization: Bearer …`, as `az webapp log` sends it); without a valid one it answers 401.
 * Publishing (basic) credentials are not modelled.
 */
import { listenHttps, sendReply } from './https-server.mjs'

/**
 * @typedef {object} ScmOptions
 * @property {import('./https-server.mjs').TlsMaterial} tls
 * @property {(headers: import('node:http').IncomingHttpHeaders) => Promise<string>} authenticate rejects a caller without an ARM token
 * @property {() => import('./docker-log.mjs').DockerLog} log the docker log of the worker the slot runs on now
 * @property {() => Promise<string>} liveOutput output of the containers running now
 */

/**
 * The SCM listener of one slot.
 * @param {ScmOptions} options
 */
export async function createScmListener({ tls, authenticate, log, liveOutput }) {
  /** @type {string} */
  let base = ''
  const listener = await listenHttps(tls, (incoming, outgoing) => {
    void (async () => {
      incoming.resume()
      const path = new URL(incoming.url ?? '/', base).pathname.replace(/\/+$/, '')
      try {
        await authenticate(incoming.headers)
      } catch {
        sendReply(outgoing, { status: 401, headers: { 'WWW-Authenticate': 'Bearer' }, body: '401 Unauthorized' })
        return
      }
      if (incoming.method !== 'GET') {
        sendReply(outgoing, { status: 405, headers: { Allow: 'GET' }, body: { Message: `The requested resource does not support http method '${incoming.method}'.` } })
        return
      }
      const current = log()
      const files = {
        [current.platformFile]: async () => current.platformText(),
        [current.outputFile]: async () => current.outputText(await liveOutput())
      }
      if (/^\/api\/logs\/docker$/i.test(path)) {
        const entries = []
        for (const [file, read] of Object.entries(files)) {
          const text = await read()
          if (text === '') continue
          entries.push({
            machineName: file.slice(11, -'_docker.log'.length),
            lastUpdated: current.lastUpdated().toISOString(),
            size: Buffer.byteLength(text),
            href: `${base}/api/vfs/LogFiles/${file}`,
            path: `/home/LogFiles/${file}`
          })
        }
        sendReply(outgoing, { status: 200, body: entries })
        return
      }
      const file = /^\/api\/vfs\/LogFiles\/([^/]+)$/i.exec(path)?.[1]
      const read = file === undefined ? undefined : files[decodeURIComponent(file)]
      const text = read === undefined ? '' : await read()
      if (read === undefined || text === '') {
        sendReply(outgoing, { status: 404, body: { Message: `'/home/LogFiles/${file ?? path}' not found.` } })
        return
      }
      sendReply(outgoing, { status: 200, body: text })
    })().catch(error => {
      sendReply(outgoing, { status: 500, body: { Message: `The Azure stand-in's Kudu failed: ${error instanceof Error ? error.message : String(error)}` } })
    })
  })
  base = listener.url
  return listener
}
