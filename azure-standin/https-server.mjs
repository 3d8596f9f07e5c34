/**
 * The stand-in's transport: a certificate authority made at start, loopback HTTPS listeners
 * whose certificates it signs, a small router, request bodies, and the reply shapes.
 *
 * Clients trust the stand-in the way they would trust a private CA: the CA's PEM goes into
 * NODE_EXTRA_CA_CERTS (a child process) or `tls.setDefaultCACertificates` (in-process). No
 * client is ever told to skip TLS verification.
 */
import { randomUUID } from 'node:crypto'
import { createServer } from 'node:https'
import selfsigned from 'selfsigned'

const DAY_MS = 24 * 60 * 60 * 1000

/**
 * @typedef {object} TlsMaterial
 * @property {string} caCertPem the CA certificate that signed `cert`
 * @property {string} key the server's private key (PEM)
 * @property {string} cert the server certificate for 127.0.0.1, ::1 and localhost (PEM)
 */

/**
 * A fresh CA and a server certificate it signs, valid for the loopback names. EC P-256 keys:
 * generated in milliseconds, accepted by Node's TLS at its default security level.
 * @returns {Promise<TlsMaterial>}
 */
export async function createTlsMaterial() {
  const notBeforeDate = new Date(Date.now() - DAY_MS)
  const notAfterDate = new Date(Date.now() + 30 * DAY_MS)
  const ca = await selfsigned.generate(
    [
      // Unique per start: a process that trusts several stand-ins' CAs picks the issuer by
      // name, and two CAs with one name make every certificate of the later one fail.
      { name: 'commonName', value: `Azure stand-in test CA ${randomUUID()}` },
      { name: 'organizationName', value: 'azure-push-deploy tests' }
    ],
    {
      keyType: 'ec',
      algorithm: 'sha256',
      notBeforeDate,
      notAfterDate,
      extensions: [
        { name: 'basicConstraints', cA: true, critical: true },
        { name: 'keyUsage', keyCertSign: true, cRLSign: true, digitalSignature: true, critical: true }
      ]
    }
  )
  const server = await selfsigned.generate([{ name: 'commonName', value: '127.0.0.1' }], {
    keyType: 'ec',
    algorithm: 'sha256',
    notBeforeDate,
    notAfterDate,
    ca: { key: ca.private, cert: ca.cert },
    extensions: [
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, critical: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
          { type: 2, value: 'localhost' }
        ]
      }
    ]
  })
  return { caCertPem: ca.cert, key: server.private, cert: server.cert }
}

/**
 * @typedef {object} HttpsListener
 * @property {import('node:https').Server} server
 * @property {number} port
 * @property {string} url `https://127.0.0.1:<port>`
 * @property {() => Promise<void>} close stops accepting and drops open connections
 */

/**
 * An HTTPS server on a free loopback port.
 * @param {TlsMaterial} tls
 * @param {import('node:http').RequestListener} handler
 * @returns {Promise<HttpsListener>}
 */
export async function listenHttps(tls, handler) {
  const server = createServer({ key: tls.key, cert: tls.cert }, handler)
  // Clients keep connections alive; close() must not wait for them.
  server.keepAliveTimeout = 1000
  await new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve(undefined))
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  return {
    server,
    port,
    url: `https://127.0.0.1:${port}`,
    close: () =>
      new Promise(resolve => {
        server.close(() => resolve(undefined))
        server.closeAllConnections()
      })
  }
}

/**
 * A reply a route returns (or throws, as {@link HttpError}). An object body is sent as JSON.
 * @typedef {object} Reply
 * @property {number} status
 * @property {Record<string, string>} [headers]
 * @property {unknown} [body]
 */

/** A reply thrown from deep inside a route: an error status with its service-shaped body. */
export class HttpError extends Error {
  /**
   * @param {number} status
   * @param {unknown} body
   * @param {Record<string, string>} [headers]
   */
  constructor(status, body, headers = {}) {
    super(`HTTP ${status}`)
    this.status = status
    this.body = body
    this.headers = headers
  }

  /** @returns {Reply} */
  toReply() {
    return { status: this.status, headers: this.headers, body: this.body }
  }
}

/**
 * ARM's common error shape (ARM RPC "Error response content"): `{ error: { code, message } }`.
 * https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/common-api-details.md#error-response-content
 * @param {number} status
 * @param {string} code
 * @param {string} message
 * @param {Record<string, string>} [headers]
 */
export function armError(status, code, message, headers) {
  return new HttpError(status, { error: { code, message } }, headers)
}

/**
 * ARM's 404 for a resource that does not exist in an existing resource group.
 * @param {string} resource its type and name, e.g. `Microsoft.Web/sites/app`
 * @param {string} resourceGroup
 */
export function resourceNotFound(resource, resourceGroup) {
  return armError(404, 'ResourceNotFound', `The Resource '${resource}' under resource group '${resourceGroup}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix`)
}

/**
 * A request as routes see it. ARM treats paths case-insensitively, so routes match on
 * `path` with the `i` flag; names keep the caller's spelling.
 * @typedef {object} StandinRequest
 * @property {string} method
 * @property {string} path decoded pathname, no trailing slash (except `/`)
 * @property {Record<string, string>} query
 * @property {string | undefined} apiVersion the `api-version` query parameter
 * @property {import('node:http').IncomingHttpHeaders} headers
 * @property {unknown} body parsed JSON or form body; undefined when empty
 * @property {string} [principal] who the caller proved to be (set by authentication)
 */

/**
 * @callback RouteHandler
 * @param {StandinRequest} request
 * @param {Record<string, string>} params the route's named groups, decoded
 * @returns {Reply | Promise<Reply>}
 */

/** @typedef {ReturnType<typeof createRouter>} Router */

/** Routes tried in the order they were added; named regex groups become params. */
export function createRouter() {
  /** @type {{ method: string, pattern: RegExp, handler: RouteHandler }[]} */
  const routes = []
  return {
    /**
     * @param {string} method
     * @param {RegExp} pattern matched against the whole decoded path
     * @param {RouteHandler} handler
     */
    add(method, pattern, handler) {
      routes.push({ method, pattern, handler })
    },
    /**
     * The route for a request, or the methods the path allows when none has this method.
     * @param {string} method
     * @param {string} path
     * @returns {{ handler: RouteHandler, params: Record<string, string> } | { allowed: string[] } | undefined}
     */
    match(method, path) {
      const allowed = []
      for (const route of routes) {
        const found = route.pattern.exec(path)
        if (!found) continue
        if (route.method !== method) {
          allowed.push(route.method)
          continue
        }
        return { handler: route.handler, params: { ...found.groups } }
      }
      return allowed.length > 0 ? { allowed } : undefined
    }
  }
}

/**
 * Reads a request body whole.
 * @param {import('node:http').IncomingMessage} incoming
 * @returns {Promise<string>}
 */
export async function readBody(incoming) {
  const chunks = []
  for await (const chunk of incoming) chunks.push(chunk)
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Parses a body: an HTML form (the OAuth token endpoint) or JSON; undefined when empty.
 * @param {string} text
 * @param {string | undefined} contentType
 * @returns {unknown}
 */
export function parseBody(text, contentType) {
  if (text.length === 0) return undefined
  if (String(contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URL(`http://form/?${text}`).searchParams)
  }
  try {
    return JSON.parse(text)
  } catch (error) {
    throw armError(
      400,
      'InvalidRequestContent',
      `The request content was invalid and could not be deserialized: '${error instanceof Error ? error.message : String(error)}'.`
    )
  }
}

/**
 * Sends a reply: objects as JSON, strings as they are.
 * @param {import('node:http').ServerResponse} response
 * @param {Reply} reply
 */
export function sendReply(response, { status, headers = {}, body }) {
  const isText = typeof body === 'string'
  const payload = body === undefined ? '' : isText ? body : JSON.stringify(body)
  const contentType = body === undefined ? {} : { 'Content-Type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8' }
  response.writeHead(status, { ...contentType, ...headers, 'Content-Length': String(Buffer.byteLength(payload)) })
  response.end(payload)
}

/**
 * The query string as a plain object; `api-version` looked up case-insensitively, as ARM does.
 * @param {URL} url
 */
export function parseQuery(url) {
  /** @type {Record<string, string>} */
  const query = Object.fromEntries(url.searchParams)
  const apiVersionKey = Object.keys(query).find(key => key.toLowerCase() === 'api-version')
  return { query, apiVersion: apiVersionKey === undefined ? undefined : query[apiVersionKey] }
}
