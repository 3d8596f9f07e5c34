/**
 * Azure Container Registry, as far as signing in and pushing go: one loopback HTTP front per
 * registry (its login server is `127.0.0.1:<port>`) that answers ACR's token endpoints and
 * passes the Docker Registry HTTP API v2 through to a real local registry (Debian's
 * docker-registry), checking ACR access tokens on the way. A real `docker login` + `docker push`
 * through it works; Docker allows plain HTTP to 127.0.0.0/8 registries.
 *
 * | route | what it answers (Azure/acr docs/AAD-OAuth.md; the data-plane spec
 * |       | specification/containerregistry/data-plane/Azure.ContainerRegistry/stable/2021-07-01) |
 * | POST /oauth2/exchange `grant_type=access_token, service, tenant, access_token` | 200 `{ refresh_token }`; any other method 404, as ACR answers |
 * | GET  /oauth2/token `?service&scope` + Basic `00000000-0000-0000-0000-000000000000:<refresh token>` | 200 `{ access_token }` (what `docker login` / `docker push` use) |
 * | POST /oauth2/token `grant_type=refresh_token, service, scope, refresh_token` (or `password` + username/password) | 200 `{ access_token }` |
 * | * /v2/... | proxied with the access token checked; else 401 + `WWW-Authenticate: Bearer realm=…,service=…[,scope=…]` |
 *
 * The exchange takes an Entra access token of the stand-in's tenant for the registry audience
 * `https://containerregistry.azure.net` (in every cloud) or, unless the registry's
 * authentication-as-arm policy is disabled, for ARM's audience ("Disable authentication as ARM
 * template", learn.microsoft.com/azure/container-registry/container-registry-disable-authentication-as-arm).
 * The principal (the token's `appid` or `oid`) must hold a role on the registry: with none,
 * the exchange answers 401, which `az acr login` reports as "Access to registry … was denied.
 * Response code: 401". Access tokens grant what the role allows of the scope asked for
 * (AcrPull: pull; AcrPush: pull, push; …); a request beyond it is answered 401 with a challenge.
 *
 * Errors use ACR's shape `{ errors: [{ code, message, detail? }] }`. The unauthenticated v2
 * answer is ACR's ("authentication required, visit https://aka.ms/acr/authorization for more
 * information."); the wording of the exchange's and the token endpoint's refusals is the
 * stand-in's own, since ACR's is not documented.
 */
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto'
import { URLSearchParams } from 'node:url'
import http from 'node:http'
import { compactVerify, decodeJwt, jwtVerify, SignJWT } from 'jose'
import { readBody } from './https-server.mjs'

/** The audience ACR accepts in every cloud (Azure CLI, the Azure SDKs' ContainerRegistryClient). */
export const ACR_AUDIENCE = 'https://containerregistry.azure.net'
/** The user name that tells ACR the password is a refresh token from the exchange. */
export const ACR_REFRESH_TOKEN_USER = '00000000-0000-0000-0000-000000000000'
const REFRESH_TOKEN_SECONDS = 3 * 60 * 60
const ACCESS_TOKEN_SECONDS = 75 * 60
const AUTHENTICATION_REQUIRED = 'authentication required, visit https://aka.ms/acr/authorization for more information.'

/** What each built-in role allows on the registry's repositories. */
const ROLE_ACTIONS = {
  AcrPull: ['pull'],
  AcrPush: ['pull', 'push'],
  AcrDelete: ['delete'],
  Reader: ['pull'],
  Contributor: ['pull', 'push', 'delete'],
  Owner: ['pull', 'push', 'delete']
}

/**
 * @typedef {keyof typeof ROLE_ACTIONS} RegistryRole
 *
 * @typedef {object} Exchange one POST /oauth2/exchange
 * @property {string} at
 * @property {number} status
 * @property {string | null} principal the token's appid, when it could be read
 * @property {'registry' | 'arm' | 'other' | null} audience which audience the Entra token carried
 * @property {string | null} error the refusal's message
 *
 * @typedef {object} TokenGrant one access token issued (or refused) at /oauth2/token
 * @property {string} at
 * @property {number} status
 * @property {string | null} principal
 * @property {string[]} requested the scopes asked for
 * @property {{ type: string, name: string, actions: string[] }[]} granted
 *
 * @typedef {object} Push one manifest a client put
 * @property {string} at
 * @property {string} repository
 * @property {string} reference tag or digest
 * @property {string | null} digest the manifest's digest, as the registry answered
 * @property {string | null} principal
 *
 * @typedef {object} Registry
 * @property {string} name
 * @property {string} loginServer `127.0.0.1:<port>`
 * @property {string} upstream the registry the v2 API is passed to, `host:port`
 * @property {boolean} authenticationAsArm
 * @property {Map<string, Set<RegistryRole>>} roles principal (client or object id, lower case) → roles
 * @property {import('node:crypto').KeyObject} key signs the registry's own tokens
 * @property {Exchange[]} exchanges
 * @property {TokenGrant[]} tokens
 * @property {Push[]} pushes
 * @property {http.Server} server
 */

/**
 * @param {number} status
 * @param {string} code
 * @param {string} message
 * @param {Record<string, string>} [headers]
 * @param {unknown} [detail]
 */
function acrError(status, code, message, headers = {}, detail) {
  return { status, headers, body: { errors: [{ code, message, ...(detail === undefined ? {} : { detail }) }] } }
}

/**
 * @param {http.ServerResponse} response
 * @param {{ status: number, headers?: Record<string, string>, body: unknown }} reply
 */
function send(response, { status, headers = {}, body }) {
  const payload = JSON.stringify(body)
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Docker-Distribution-Api-Version': 'registry/2.0', ...headers, 'Content-Length': String(Buffer.byteLength(payload)) })
  response.end(payload)
}

/**
 * `repository:<name>:<actions>` and `registry:catalog:*` (the Docker token scope grammar).
 * @param {string} scope
 */
function parseScope(scope) {
  const last = scope.lastIndexOf(':')
  const first = scope.indexOf(':')
  if (first < 0 || last <= first) return undefined
  return { type: scope.slice(0, first), name: scope.slice(first + 1, last), actions: scope.slice(last + 1).split(',').filter(Boolean) }
}

/**
 * The access a v2 request needs: its repository (or catalog) and action.
 * @param {string} method
 * @param {string} path
 * @returns {{ type: string, name: string, action: string } | null | undefined} null: any valid token; undefined: not a v2 path
 */
function requiredAccess(method, path) {
  if (path === '/v2' || path === '/v2/') return null
  if (path === '/v2/_catalog') return { type: 'registry', name: 'catalog', action: '*' }
  const found = /^\/v2\/(.+?)\/(manifests|blobs|tags|referrers)(?:\/|$)/.exec(path)
  if (!found?.[1]) return undefined
  const action = method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' ? 'delete' : 'push'
  return { type: 'repository', name: found[1], action }
}

/**
 * @param {object} options
 * @param {{ tenantId: string, accessTokenIssuer: string, accessTokenKey: import('jose').CryptoKey }} options.entra
 * @param {() => string} options.armAudience the audience of ARM tokens in the stand-in's cloud
 * @param {() => number} options.now Unix seconds
 * @param {(token: string) => void} options.onIssued told of every refresh and access token
 */
export function createContainerRegistries({ entra, armAudience, now, onIssued }) {
  /** @type {Map<string, Registry>} */
  const registries = new Map()

  /**
   * @param {string} name
   * @returns {Registry}
   */
  function registryNamed(name) {
    const registry = registries.get(name.toLowerCase())
    if (registry === undefined) throw new Error(`the stand-in has no container registry named ${name}`)
    return registry
  }

  /**
   * The audience of an Entra token, as ACR tells them apart.
   * @param {unknown} audience
   * @returns {'registry' | 'arm' | 'other'}
   */
  function audienceKind(audience) {
    const audiences = (Array.isArray(audience) ? audience : [audience]).map(value => String(value).replace(/\/+$/, '').toLowerCase())
    if (audiences.includes(ACR_AUDIENCE)) return 'registry'
    if (audiences.includes(armAudience().replace(/\/+$/, '').toLowerCase())) return 'arm'
    return 'other'
  }

  /**
   * @param {Registry} registry
   * @param {string[]} principals
   */
  function actionsOf(registry, principals) {
    const actions = new Set()
    for (const principal of principals) for (const role of registry.roles.get(principal.toLowerCase()) ?? []) for (const action of ROLE_ACTIONS[role]) actions.add(action)
    return actions
  }

  /**
   * POST /oauth2/exchange: an Entra access token for a refresh token of this registry.
   * @param {Registry} registry
   * @param {Record<string, string>} form
   */
  async function exchange(registry, form) {
    /** @type {Exchange} */
    const record = { at: new Date().toISOString(), status: 0, principal: null, audience: null, error: null }
    registry.exchanges.push(record)
    /** @param {{ status: number, headers?: Record<string, string>, body: unknown }} reply */
    const answer = reply => {
      record.status = reply.status
      const errors = /** @type {{ errors?: { message: string }[] }} */ (reply.body).errors
      record.error = errors?.[0]?.message ?? null
      return reply
    }
    const unauthorized = (/** @type {string} */ message) => answer(acrError(401, 'UNAUTHORIZED', message))
    if (form.grant_type !== 'access_token') {
      return answer(acrError(400, 'UNSUPPORTED', `grant_type '${form.grant_type ?? ''}' is not supported: use access_token (refresh_token and access_token_refresh_token are deprecated).`))
    }
    if (!form.service || form.service.toLowerCase() !== registry.loginServer) {
      return answer(acrError(400, 'UNSUPPORTED', `service '${form.service ?? ''}' is not this registry: expected ${registry.loginServer}.`))
    }
    if (!form.access_token) return answer(acrError(400, 'UNSUPPORTED', 'access_token is required when grant_type is access_token.'))
    /** @type {import('jose').JWTPayload} */
    let claims
    try {
      claims = decodeJwt(form.access_token)
      await compactVerify(form.access_token, entra.accessTokenKey)
    } catch {
      return unauthorized('The access token is not a valid Microsoft Entra access token.')
    }
    record.principal = typeof claims.appid === 'string' ? claims.appid : null
    record.audience = audienceKind(claims.aud)
    if (claims.iss !== entra.accessTokenIssuer || (form.tenant && form.tenant.toLowerCase() !== String(claims.tid).toLowerCase())) {
      return unauthorized(`The access token was not issued by the tenant ${form.tenant ?? String(claims.tid)}.`)
    }
    if (Number(claims.exp ?? 0) <= now()) return unauthorized('The access token has expired.')
    if (record.audience === 'other') {
      return unauthorized(`The access token's audience '${String(claims.aud)}' is not accepted: request a token for ${ACR_AUDIENCE}.`)
    }
    if (record.audience === 'arm' && !registry.authenticationAsArm) {
      return unauthorized(`ARM audience tokens are disabled for this registry (authentication-as-arm): request a token for ${ACR_AUDIENCE}.`)
    }
    const principals = [claims.appid, claims.oid].filter(value => typeof value === 'string')
    if (actionsOf(registry, principals).size === 0) {
      return unauthorized(`The identity ${record.principal ?? String(claims.oid)} has no role on the registry ${registry.name}.`)
    }
    const issuedAt = now()
    const refreshToken = await new SignJWT({ version: '1.0', grant_type: 'refresh_token', tenant: claims.tid, appid: claims.appid, oid: claims.oid, permissions: { actions: ['*'], notActions: [] }, roles: [] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setJti(randomUUID())
      .setSubject(String(claims.oid ?? claims.appid))
      .setIssuer('Azure Container Registry')
      .setAudience(registry.loginServer)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + REFRESH_TOKEN_SECONDS)
      .sign(registry.key)
    onIssued(refreshToken)
    return answer({ status: 200, body: { refresh_token: refreshToken } })
  }

  /**
   * The claims of a token this registry issued, or undefined.
   * @param {Registry} registry
   * @param {string} token
   * @param {'refresh_token' | 'access_token'} kind
   */
  async function ownToken(registry, token, kind) {
    try {
      const { payload } = await jwtVerify(token, registry.key, { issuer: 'Azure Container Registry', audience: registry.loginServer, currentDate: new Date(now() * 1000) })
      return payload.grant_type === kind ? payload : undefined
    } catch {
      return undefined
    }
  }

  /**
   * GET|POST /oauth2/token: a refresh token (Basic auth with the null GUID, or the form) for an
   * access token with the scopes the principal's roles allow.
   * @param {Registry} registry
   * @param {string} method
   * @param {URLSearchParams} query
   * @param {Record<string, string>} form
   * @param {string | undefined} authorization
   */
  async function token(registry, method, query, form, authorization) {
    const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? '')
    const [user, password] = basic?.[1] ? splitBasic(Buffer.from(basic[1], 'base64').toString('utf8')) : [undefined, undefined]
    const service = method === 'GET' ? query.get('service') : (form.service ?? query.get('service'))
    const scopes = method === 'GET' ? query.getAll('scope') : (form.scope ?? query.getAll('scope').join(' ')).split(' ').filter(Boolean)
    /** @type {string | undefined} */
    let refreshToken
    if (method === 'POST' && form.grant_type === 'refresh_token') refreshToken = form.refresh_token
    else if (method === 'POST' && form.grant_type === 'password') refreshToken = form.username === ACR_REFRESH_TOKEN_USER ? form.password : undefined
    else if (user === ACR_REFRESH_TOKEN_USER) refreshToken = password
    /** @type {TokenGrant} */
    const record = { at: new Date().toISOString(), status: 0, principal: null, requested: scopes, granted: [] }
    registry.tokens.push(record)
    const refuse = (/** @type {string} */ message) => {
      record.status = 401
      return acrError(401, 'UNAUTHORIZED', message, { 'WWW-Authenticate': challenge(registry) })
    }
    if (service && service.toLowerCase() !== registry.loginServer) return refuse(`service '${service}' is not this registry: expected ${registry.loginServer}.`)
    if (!refreshToken) return refuse(`sign in with the user ${ACR_REFRESH_TOKEN_USER} and a refresh token from /oauth2/exchange (the admin user and repository-scoped tokens are not modelled).`)
    const claims = await ownToken(registry, refreshToken, 'refresh_token')
    if (claims === undefined) return refuse('the refresh token is not valid for this registry, or has expired.')
    record.principal = typeof claims.appid === 'string' ? claims.appid : null
    const allowed = actionsOf(registry, [claims.appid, claims.oid].filter(value => typeof value === 'string'))
    for (const scope of scopes) {
      const parsed = parseScope(scope)
      if (parsed === undefined) continue
      const actions = parsed.type === 'registry' ? (allowed.has('pull') && allowed.has('push') ? ['*'] : []) : parsed.actions.filter(action => allowed.has(action) || (action === '*' && ['pull', 'push', 'delete'].every(all => allowed.has(all))))
      record.granted.push({ type: parsed.type, name: parsed.name, actions })
    }
    const issuedAt = now()
    const accessToken = await new SignJWT({ version: '1.0', grant_type: 'access_token', appid: claims.appid, access: record.granted, roles: [] })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setJti(randomUUID())
      .setSubject(String(claims.sub))
      .setIssuer('Azure Container Registry')
      .setAudience(registry.loginServer)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + ACCESS_TOKEN_SECONDS)
      .sign(registry.key)
    onIssued(accessToken)
    record.status = 200
    return { status: 200, headers: {}, body: { access_token: accessToken } }
  }

  /**
   * @param {string} credentials `user:password`
   * @returns {[string, string]}
   */
  function splitBasic(credentials) {
    const colon = credentials.indexOf(':')
    return colon < 0 ? [credentials, ''] : [credentials.slice(0, colon), credentials.slice(colon + 1)]
  }

  /**
   * The Bearer challenge of a 401, with the scope the request needed.
   * @param {Registry} registry
   * @param {{ type: string, name: string, action: string } | null} [access]
   */
  function challenge(registry, access) {
    const scope = access ? `,scope="${access.type}:${access.name}:${access.action === 'push' ? 'pull,push' : access.action}"` : ''
    return `Bearer realm="http://${registry.loginServer}/oauth2/token",service="${registry.loginServer}"${scope}`
  }

  /**
   * A v2 API request: the access token checked, then passed to the upstream registry as it is
   * (Host included, so the upstream's Location headers name this front).
   * @param {Registry} registry
   * @param {http.IncomingMessage} incoming
   * @param {http.ServerResponse} outgoing
   * @param {URL} url
   */
  async function proxy(registry, incoming, outgoing, url) {
    const method = (incoming.method ?? 'GET').toUpperCase()
    const access = requiredAccess(method, url.pathname)
    if (access === undefined) {
      incoming.resume()
      return send(outgoing, acrError(404, 'NAME_UNKNOWN', `the path ${url.pathname} is not part of the registry API`))
    }
    const bearer = /^Bearer\s+(\S+)$/i.exec(incoming.headers.authorization ?? '')
    const claims = bearer?.[1] ? await ownToken(registry, bearer[1], 'access_token') : undefined
    const granted = /** @type {{ type: string, name: string, actions: string[] }[]} */ (claims?.access ?? [])
    const allowed =
      claims !== undefined &&
      (access === null || granted.some(entry => entry.type === access.type && entry.name === access.name && (entry.actions.includes(access.action) || entry.actions.includes('*'))))
    if (!allowed) {
      incoming.resume()
      const detail = access ? [{ Type: access.type, Name: access.name, Action: access.action }] : undefined
      return send(outgoing, acrError(401, 'UNAUTHORIZED', AUTHENTICATION_REQUIRED, { 'WWW-Authenticate': challenge(registry, access) }, detail))
    }
    // A cross-repository mount needs pull on the source: without it, the upload starts plain, as registries do.
    const from = url.searchParams.get('from')
    if (from !== null && !granted.some(entry => entry.type === 'repository' && entry.name === from && entry.actions.includes('pull'))) {
      url.searchParams.delete('mount')
      url.searchParams.delete('from')
    }
    const headers = { ...incoming.headers }
    delete headers.authorization
    const [host = '127.0.0.1', port = '80'] = registry.upstream.split(':')
    const upstream = http.request({ host, port: Number(port), method, path: `${url.pathname}${url.search}`, headers }, response => {
      const principal = typeof claims?.appid === 'string' ? claims.appid : null
      const manifest = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(url.pathname)
      if (method === 'PUT' && manifest?.[1] && manifest[2] && response.statusCode === 201) {
        const digest = response.headers['docker-content-digest']
        registry.pushes.push({ at: new Date().toISOString(), repository: manifest[1], reference: manifest[2], digest: typeof digest === 'string' ? digest : null, principal })
      }
      outgoing.writeHead(response.statusCode ?? 502, response.headers)
      response.pipe(outgoing)
    })
    upstream.on('error', error => {
      if (outgoing.headersSent) return outgoing.destroy(error)
      send(outgoing, acrError(502, 'UNKNOWN', `the registry behind the stand-in (${registry.upstream}) did not answer: ${error.message}`))
    })
    incoming.pipe(upstream)
  }

  /**
   * @param {Registry} registry
   * @param {http.IncomingMessage} incoming
   * @param {http.ServerResponse} outgoing
   */
  async function handle(registry, incoming, outgoing) {
    const url = new URL(incoming.url ?? '/', `http://${registry.loginServer}`)
    const method = (incoming.method ?? 'GET').toUpperCase()
    try {
      if (url.pathname === '/oauth2/exchange' || url.pathname === '/oauth2/token') {
        const text = await readBody(incoming)
        const contentType = String(incoming.headers['content-type'] ?? '').toLowerCase()
        const form = contentType.startsWith('application/x-www-form-urlencoded') ? Object.fromEntries(new URLSearchParams(text)) : {}
        if (url.pathname === '/oauth2/exchange') {
          // ACR answers the exchange only to POST; anything else is a 404.
          return send(outgoing, method === 'POST' ? await exchange(registry, form) : acrError(404, 'NOT_FOUND', 'not found'))
        }
        if (method !== 'GET' && method !== 'POST') return send(outgoing, acrError(405, 'UNSUPPORTED', `${method} is not supported at /oauth2/token`))
        return send(outgoing, await token(registry, method, url.searchParams, form, incoming.headers.authorization))
      }
      return await proxy(registry, incoming, outgoing, url)
    } catch (error) {
      if (outgoing.headersSent) return outgoing.destroy()
      send(outgoing, acrError(500, 'UNKNOWN', `the stand-in's registry failed: ${error instanceof Error ? error.message : String(error)}`))
    }
  }

  return {
    /**
     * A registry with its own loopback front; resolves once it listens.
     * @param {{ name: string, upstream?: string, authenticationAsArm?: boolean }} options
     */
    async add({ name, upstream = '127.0.0.1:5555', authenticationAsArm = true }) {
      if (!/^[a-zA-Z0-9]{5,50}$/.test(name)) throw new Error(`a registry name is 5–50 letters and digits: ${name}`)
      if (registries.has(name.toLowerCase())) throw new Error(`the stand-in already has a container registry named ${name}`)
      /** @type {Registry} */
      const registry = {
        name,
        loginServer: '',
        upstream,
        authenticationAsArm,
        roles: new Map(),
        key: createSecretKey(randomBytes(32)),
        exchanges: [],
        tokens: [],
        pushes: [],
        server: http.createServer((incoming, outgoing) => void handle(registry, incoming, outgoing))
      }
      await new Promise((resolve, reject) => {
        registry.server.once('error', reject)
        registry.server.listen(0, '127.0.0.1', () => resolve(undefined))
      })
      const address = /** @type {import('node:net').AddressInfo} */ (registry.server.address())
      registry.loginServer = `127.0.0.1:${address.port}`
      registries.set(name.toLowerCase(), registry)
      return { name, loginServer: registry.loginServer, url: `http://${registry.loginServer}` }
    },
    /**
     * A role assignment on the registry for a client id or object id.
     * @param {{ registry: string, principal: string, role: RegistryRole }} assignment
     */
    grant({ registry, principal, role }) {
      if (!(role in ROLE_ACTIONS)) throw new Error(`unknown registry role ${role}: one of ${Object.keys(ROLE_ACTIONS).join(', ')}`)
      const roles = registryNamed(registry).roles
      const held = roles.get(principal.toLowerCase()) ?? new Set()
      held.add(role)
      roles.set(principal.toLowerCase(), held)
    },
    /**
     * Removes a role assignment (all roles of the principal when none is named).
     * @param {{ registry: string, principal: string, role?: RegistryRole }} assignment
     */
    revoke({ registry, principal, role }) {
      const roles = registryNamed(registry).roles
      if (role === undefined) roles.delete(principal.toLowerCase())
      else roles.get(principal.toLowerCase())?.delete(role)
    },
    /**
     * The registry's "authentication-as-arm" policy (`az acr config authentication-as-arm update --status`).
     * @param {string} name
     * @param {boolean} enabled
     */
    setAuthenticationAsArm(name, enabled) {
      registryNamed(name).authenticationAsArm = enabled
    },
    /** Every registry, its policy, role assignments, exchanges, tokens and pushes, as plain data. */
    state() {
      return [...registries.values()].map(registry => ({
        name: registry.name,
        loginServer: registry.loginServer,
        upstream: registry.upstream,
        authenticationAsArm: registry.authenticationAsArm,
        roles: [...registry.roles].flatMap(([principal, roles]) => [...roles].map(role => ({ principal, role }))),
        exchanges: registry.exchanges.map(record => ({ ...record })),
        tokens: registry.tokens.map(record => ({ ...record, requested: [...record.requested], granted: record.granted.map(entry => ({ ...entry, actions: [...entry.actions] })) })),
        pushes: registry.pushes.map(record => ({ ...record }))
      }))
    },
    async close() {
      await Promise.all(
        [...registries.values()].map(
          registry =>
            new Promise(resolve => {
              registry.server.close(() => resolve(undefined))
              registry.server.closeAllConnections()
            })
        )
      )
    }
  }
}
