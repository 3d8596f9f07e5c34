/**
 * Microsoft Entra ID for one tenant: OpenID metadata and the v2.0 token endpoint's
 * client-credentials grant, with a client secret or a client assertion (workload identity
 * federation). Access tokens are v1.0 JWTs like the ones Entra issues for ARM and Storage.
 *
 * References:
 * - Token request and response, error shape (`error`, `error_description`, `error_codes`,
 *   `timestamp`, `trace_id`, `correlation_id`, `error_uri`):
 *   https://learn.microsoft.com/entra/identity-platform/v2-oauth2-client-creds-grant-flow
 * - Federated credentials (issuer, subject, audiences; exact, case-sensitive matching):
 *   https://learn.microsoft.com/entra/workload-id/workload-identity-federation
 * - AADSTS codes: https://learn.microsoft.com/entra/identity-platform/reference-error-codes and
 *   bodies seen in the field (Azure/login, Azure/azure-workload-identity issues): 700016 unknown
 *   app; 7000215 wrong secret; 7000218 no credential; 50027 malformed JWT; 70021 no federated
 *   credential at all; 700211 / 700212 / 700213 no federated credential for the assertion's
 *   issuer / audience / subject (7002138 when only the case differs); 7000272 signing key not
 *   in the issuer's metadata; 50013 signature mismatch; 700024 assertion outside its validity;
 *   500011 unknown resource; 1002012 client-credentials scope without `/.default`; 90002
 *   unknown tenant; 900144 missing parameter; 70003 unsupported grant type.
 */
import { createHash, randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, compactVerify, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { HttpError } from './https-server.mjs'

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer'
const FEDERATION_DOCS = 'https://learn.microsoft.com/entra/workload-id/workload-identity-federation'
/** Entra tolerates this much clock skew on an assertion's `exp` and `nbf`. */
const ASSERTION_SKEW_SECONDS = 300

/**
 * @typedef {object} FederatedCredential
 * @property {string} [issuer] default: the stand-in's GitHub OIDC issuer
 * @property {string} subject e.g. `repo:octo-org/estate:environment:prod`
 * @property {string | string[]} [audience] default `api://AzureADTokenExchange`
 *
 * @typedef {object} Application
 * @property {string} clientId
 * @property {string} [clientSecret]
 * @property {FederatedCredential[]} [federatedCredentials]
 */

/**
 * `2019-09-30 20:03:53Z`, as Entra writes timestamps in error bodies.
 * @param {number} [ms]
 */
function entraTimestamp(ms = Date.now()) {
  return new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')
}

/**
 * `2024-10-02T21:30:53.0000000Z`, as Entra writes times inside AADSTS700024.
 * @param {number} seconds
 */
function entraTime(seconds) {
  return new Date(seconds * 1000).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z')
}

/**
 * A stable GUID for a name: an app's object id is the same across runs.
 * @param {string} name
 */
function stableGuid(name) {
  const hex = createHash('sha256').update(name).digest('hex')
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`
}

/**
 * @param {object} options
 * @param {string} options.baseUrl the authority host
 * @param {string} options.tenantId
 * @param {Map<string, import('jose').JWTVerifyGetKey>} options.trustedIssuers OIDC issuers whose tokens may be assertions
 * @param {string} options.defaultIssuer issuer of federated credentials registered without one
 * @param {() => string[]} options.resources application ID URIs a token can be asked for
 * @param {() => number} options.now Unix seconds
 * @param {(token: string) => void} [options.onIssued] told of every access token issued
 */
export async function createEntra({ baseUrl, tenantId, trustedIssuers, defaultIssuer, resources, now, onIssued = () => {} }) {
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  const jwks = { keys: [{ ...publicJwk, kid, x5t: kid, kty: 'RSA', use: 'sig', issuer: `${baseUrl}/${tenantId}/v2.0` }] }
  /** The `iss` of v1.0 access tokens (what ARM and Storage get), as on https://sts.windows.net. */
  const accessTokenIssuer = `https://sts.windows.net/${tenantId}/`
  /** @type {Map<string, Required<Pick<Application, 'clientId'>> & { clientSecret?: string, federatedCredentials: { issuer: string, subject: string, audiences: string[] }[] }>} */
  const applications = new Map()
  let accessTokenLifetimeSeconds = 3599

  /**
   * An Entra error reply. invalid_client is 401, the others 400, as Entra answers.
   * @param {import('./https-server.mjs').StandinRequest} request
   * @param {string} error OAuth error code
   * @param {number} code the AADSTS number
   * @param {string} description
   */
  function entraError(request, error, code, description) {
    const traceId = randomUUID()
    // MSAL sends its client-request-id in the query and the form; Entra echoes it as the correlation id.
    const form = /** @type {Record<string, unknown>} */ (request.body && typeof request.body === 'object' ? request.body : {})
    const correlationId = String(request.query['client-request-id'] ?? form['client-request-id'] ?? request.headers['client-request-id'] ?? randomUUID())
    const timestamp = entraTimestamp()
    return new HttpError(
      error === 'invalid_client' ? 401 : 400,
      {
        error,
        error_description: `AADSTS${code}: ${description}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
        error_codes: [code],
        timestamp,
        trace_id: traceId,
        correlation_id: correlationId,
        error_uri: `${baseUrl}/error?code=${code}`
      },
      { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache', 'x-ms-request-id': traceId }
    )
  }

  /**
   * The tenant in a path, or AADSTS90002 like Entra for any other.
   * @param {import('./https-server.mjs').StandinRequest} request
   * @param {string} tenant
   */
  function requireTenant(request, tenant) {
    if (tenant.toLowerCase() !== tenantId.toLowerCase()) {
      throw entraError(
        request,
        'invalid_request',
        90002,
        `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`
      )
    }
  }

  /** OpenID metadata of the v2.0 endpoint, shaped like login.microsoftonline.com's. */
  function openIdConfiguration() {
    const authority = `${baseUrl}/${tenantId}`
    const host = new URL(baseUrl).host
    return {
      token_endpoint: `${authority}/oauth2/v2.0/token`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'private_key_jwt', 'client_secret_basic'],
      jwks_uri: `${authority}/discovery/v2.0/keys`,
      response_modes_supported: ['query', 'fragment', 'form_post'],
      subject_types_supported: ['pairwise'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code', 'id_token', 'code id_token', 'id_token token'],
      scopes_supported: ['openid', 'profile', 'email', 'offline_access'],
      // MSAL accepts the metadata only when the issuer's scheme, host and port are the authority's.
      issuer: `${authority}/v2.0`,
      request_uri_parameter_supported: false,
      userinfo_endpoint: `${baseUrl}/oidc/userinfo`,
      authorization_endpoint: `${authority}/oauth2/v2.0/authorize`,
      device_authorization_endpoint: `${authority}/oauth2/v2.0/devicecode`,
      http_logout_supported: true,
      frontchannel_logout_supported: true,
      end_session_endpoint: `${authority}/oauth2/v2.0/logout`,
      claims_supported: ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'acr', 'nonce', 'preferred_username', 'name', 'tid', 'ver', 'at_hash', 'c_hash', 'email'],
      kerberos_endpoint: `${authority}/kerberos`,
      tenant_region_scope: 'EU',
      cloud_instance_name: host,
      cloud_graph_host_name: host,
      msgraph_host: host,
      rbac_url: baseUrl
    }
  }

  /**
   * Checks a client assertion the way Entra checks a federated token; returns nothing or throws
   * the AADSTS error Entra would answer with.
   * @param {import('./https-server.mjs').StandinRequest} request
   * @param {ReturnType<typeof applications.get> & {}} app
   * @param {string} assertion
   */
  async function verifyAssertion(request, app, assertion) {
    /** @type {import('jose').JWTPayload} */
    let claims
    /** @type {import('jose').ProtectedHeaderParameters} */
    let header
    try {
      claims = decodeJwt(assertion)
      header = decodeProtectedHeader(assertion)
    } catch {
      throw entraError(request, 'invalid_request', 50027, 'JWT token is invalid or malformed.')
    }
    const issuer = String(claims.iss ?? '')
    const subject = String(claims.sub ?? '')
    const audiences = Array.isArray(claims.aud) ? claims.aud : [String(claims.aud ?? '')]
    const credentials = app.federatedCredentials
    if (credentials.length === 0) {
      throw entraError(
        request,
        'invalid_request',
        70021,
        `No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${audiences.join(',')}'. ${FEDERATION_DOCS}`
      )
    }
    const forIssuer = credentials.filter(credential => credential.issuer === issuer)
    const keySet = trustedIssuers.get(issuer)
    if (forIssuer.length === 0 || keySet === undefined) {
      throw entraError(
        request,
        'invalid_client',
        700211,
        `No matching federated identity record found for presented assertion issuer '${issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${FEDERATION_DOCS}`
      )
    }
    try {
      await compactVerify(assertion, keySet)
    } catch (error) {
      if (error instanceof Error && 'code' in error && error.code === 'ERR_JWKS_NO_MATCHING_KEY') {
        throw entraError(
          request,
          'invalid_client',
          7000272,
          `The certificate with identifier ${header.kid ?? header.x5t ?? '(none)'} used to sign the federated credential could not be found in the metadata of identity provider ${issuer}. Please validate that your Identity Provider's metadata exposes the key used to sign the incoming token.`
        )
      }
      throw entraError(request, 'invalid_client', 50013, `Assertion failed signature validation. [Reason - The provided signature value did not match the expected signature value., Thumbprint of key used by client: '${header.kid ?? ''}']`)
    }
    const nowSeconds = now()
    const expiry = Number(claims.exp ?? 0)
    const validFrom = Number(claims.nbf ?? 0)
    if (expiry + ASSERTION_SKEW_SECONDS < nowSeconds || validFrom - ASSERTION_SKEW_SECONDS > nowSeconds) {
      throw entraError(
        request,
        'invalid_client',
        700024,
        `Client assertion is not within its valid time range. Current time: ${entraTime(nowSeconds)}, assertion valid from ${entraTime(validFrom)}, expiry time of assertion ${entraTime(expiry)}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`
      )
    }
    const forAudience = forIssuer.filter(credential => credential.audiences.some(audience => audiences.includes(audience)))
    if (forAudience.length === 0) {
      throw entraError(
        request,
        'invalid_client',
        700212,
        `No matching federated identity record found for presented assertion audience '${audiences.join(',')}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${FEDERATION_DOCS}`
      )
    }
    if (!forAudience.some(credential => credential.subject === subject)) {
      // Since 2025 subjects match case-sensitively, and a case-only difference has its own code.
      const caseOnly = forAudience.some(credential => credential.subject.toLowerCase() === subject.toLowerCase())
      throw entraError(
        request,
        'invalid_client',
        caseOnly ? 7002138 : 700213,
        caseOnly
          ? `No matching federated identity record found for presented assertion subject '${subject}'. The subject matches a federated identity credential only when compared case-insensitively; the matching is case-sensitive. ${FEDERATION_DOCS}`
          : `No matching federated identity record found for presented assertion subject '${subject}'. Check your federated identity credential Subject, Audience and Issuer against the presented assertion. ${FEDERATION_DOCS}`
      )
    }
  }

  /**
   * POST /{tenant}/oauth2/v2.0/token, grant_type=client_credentials.
   * @param {import('./https-server.mjs').StandinRequest} request
   * @param {string} tenant
   * @returns {Promise<import('./https-server.mjs').Reply>}
   */
  async function token(request, tenant) {
    requireTenant(request, tenant)
    const form = /** @type {Record<string, string>} */ (request.body && typeof request.body === 'object' ? request.body : {})
    /** @param {string} name */
    const required = name => {
      const value = form[name]
      if (!value) throw entraError(request, 'invalid_request', 900144, `The request body must contain the following parameter: '${name}'.`)
      return value
    }
    const grantType = required('grant_type')
    if (grantType !== 'client_credentials') {
      throw entraError(request, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grantType}'.`)
    }
    const clientId = required('client_id')
    const scope = required('scope')
    const app = applications.get(clientId.toLowerCase())
    if (app === undefined) {
      throw entraError(
        request,
        'unauthorized_client',
        700016,
        `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`
      )
    }
    if (form.client_secret !== undefined) {
      if (app.clientSecret === undefined || form.client_secret !== app.clientSecret) {
        throw entraError(
          request,
          'invalid_client',
          7000215,
          `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`
        )
      }
    } else if (form.client_assertion !== undefined) {
      if (form.client_assertion_type !== JWT_BEARER) {
        throw entraError(request, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_assertion_type'.")
      }
      await verifyAssertion(request, app, form.client_assertion)
    } else {
      throw entraError(request, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.")
    }
    const scopes = scope.split(' ').filter(Boolean)
    const resourceScope = scopes.find(entry => entry.endsWith('/.default'))
    if (resourceScope === undefined) {
      throw entraError(
        request,
        'invalid_scope',
        1002012,
        `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`
      )
    }
    const resource = resourceScope.slice(0, -'/.default'.length)
    const known = resources().some(uri => uri.replace(/\/+$/, '').toLowerCase() === resource.replace(/\/+$/, '').toLowerCase())
    if (!known) {
      throw entraError(
        request,
        'invalid_resource',
        500011,
        `The resource principal named ${resource} was not found in the tenant named ${tenantId}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`
      )
    }
    const issuedAt = now()
    const objectId = stableGuid(`${tenantId}/${app.clientId}`)
    const accessToken = await new SignJWT({
      aio: randomUUID(),
      appid: app.clientId,
      appidacr: form.client_secret === undefined ? '2' : '1',
      idp: accessTokenIssuer,
      idtyp: 'app',
      oid: objectId,
      rh: `0.standin.${randomUUID()}.`,
      tid: tenantId,
      uti: randomUUID().replaceAll('-', ''),
      ver: '1.0'
    })
      .setProtectedHeader({ typ: 'JWT', alg: 'RS256', x5t: kid, kid })
      .setAudience(resource)
      .setIssuer(accessTokenIssuer)
      .setSubject(objectId)
      .setIssuedAt(issuedAt)
      .setNotBefore(issuedAt)
      .setExpirationTime(issuedAt + accessTokenLifetimeSeconds)
      .sign(privateKey)
    onIssued(accessToken)
    return {
      status: 200,
      headers: { 'Cache-Control': 'no-store, no-cache', Pragma: 'no-cache', 'x-ms-request-id': randomUUID() },
      body: { token_type: 'Bearer', expires_in: accessTokenLifetimeSeconds, ext_expires_in: accessTokenLifetimeSeconds, access_token: accessToken }
    }
  }

  return {
    tenantId,
    accessTokenIssuer,
    /** The key that signs access tokens, for resource servers (ARM) to verify them. */
    accessTokenKey: publicKey,
    /**
     * Registers an application (a service principal in this tenant).
     * @param {Application} application
     */
    registerApplication({ clientId, clientSecret, federatedCredentials = [] }) {
      applications.set(clientId.toLowerCase(), {
        clientId,
        clientSecret,
        federatedCredentials: federatedCredentials.map(({ issuer = defaultIssuer, subject, audience = 'api://AzureADTokenExchange' }) => ({
          issuer,
          subject,
          audiences: Array.isArray(audience) ? audience : [audience]
        }))
      })
    },
    /** @param {number} seconds lifetime of access tokens issued from now on */
    setAccessTokenLifetime(seconds) {
      accessTokenLifetimeSeconds = seconds
    },
    /** @param {import('./https-server.mjs').Router} router */
    addRoutes(router) {
      const tenantPath = '(?<tenant>[^/]+)'
      // The v2.0 metadata MSAL reads (`<authority>/v2.0/.well-known/openid-configuration`), and
      // the same document at the tenant root, where OIDC-mode clients look.
      for (const pattern of [new RegExp(`^/${tenantPath}/v2\\.0/\\.well-known/openid-configuration$`), new RegExp(`^/${tenantPath}/\\.well-known/openid-configuration$`)]) {
        router.add('GET', pattern, (request, { tenant = '' }) => {
          if (tenant === 'common' || tenant === 'organizations') return { status: 200, body: openIdConfiguration() }
          requireTenant(request, tenant)
          return { status: 200, body: openIdConfiguration() }
        })
      }
      router.add('GET', new RegExp(`^/${tenantPath}/discovery/(?:v2\\.0/)?keys$`), () => ({ status: 200, body: jwks }))
      // Instance discovery (https://login.microsoftonline.com/common/discovery/instance): MSAL asks
      // the public cloud's host, never this one, unless instance discovery is disabled; served
      // here for clients that point it at the stand-in.
      router.add('GET', /^\/common\/discovery\/instance$/, request => {
        const host = new URL(baseUrl).host
        const authorizeUrl = request.query.authorization_endpoint ?? `${baseUrl}/${tenantId}/oauth2/v2.0/authorize`
        const tenant = new URL(authorizeUrl, baseUrl).pathname.split('/')[1] ?? tenantId
        return {
          status: 200,
          body: {
            tenant_discovery_endpoint: `${baseUrl}/${tenant}/v2.0/.well-known/openid-configuration`,
            'api-version': '1.1',
            metadata: [{ preferred_network: host, preferred_cache: host, aliases: [host] }]
          }
        }
      })
      router.add('POST', new RegExp(`^/${tenantPath}/oauth2/v2\\.0/token$`), (request, { tenant = '' }) => token(request, tenant))
    }
  }
}
