/**
 * How Azure Resource Manager authenticates a call: a bearer access token that the tenant's
 * Entra ID issued for ARM's audience. Failures answer 401 with ARM's error body and a
 * `WWW-Authenticate: Bearer authorization_uri=..., error="invalid_token", error_description=...`
 * challenge, with ARM's codes: AuthenticationFailed (no or malformed header),
 * InvalidAuthenticationToken (not a token, or a bad signature), InvalidAuthenticationTokenTenant
 * (another issuer), InvalidAuthenticationTokenAudience (another resource) and
 * ExpiredAuthenticationToken. Messages follow ARM's wording as seen in the field, e.g.
 * "The access token has been obtained for wrong audience or resource '...'. It should exactly
 * match with one of the allowed audiences '...'."
 * https://learn.microsoft.com/azure/azure-resource-manager/management/troubleshoot-common-deployment-errors
 */
import { compactVerify, decodeJwt } from 'jose'
import { armError } from './https-server.mjs'

/**
 * `6/15/2026 8:22:51 AM`: the UTC times in ARM's ExpiredAuthenticationToken message.
 * @param {number} seconds
 */
function armTime(seconds) {
  const date = new Date(seconds * 1000)
  const hours = date.getUTCHours()
  const pad = (/** @type {number} */ value) => String(value).padStart(2, '0')
  return `${date.getUTCMonth() + 1}/${date.getUTCDate()}/${date.getUTCFullYear()} ${hours % 12 || 12}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} ${hours < 12 ? 'AM' : 'PM'}`
}

/**
 * @param {object} options
 * @param {{ tenantId: string, accessTokenIssuer: string, accessTokenKey: import('jose').CryptoKey }} options.entra
 * @param {() => string[]} options.audiences the audiences ARM accepts
 * @param {string} options.authorityHost
 * @param {() => number} options.now Unix seconds
 */
export function createArmAuth({ entra, audiences, authorityHost, now }) {
  const authorizationUri = `${authorityHost}/${entra.tenantId}`

  /**
   * @param {string} code
   * @param {string} message
   * @param {string} challenge the challenge's error_description
   */
  function unauthorized(code, message, challenge = message) {
    return armError(401, code, message, {
      'WWW-Authenticate': `Bearer authorization_uri="${authorizationUri}", error="invalid_token", error_description="${challenge.replaceAll('"', "'")}"`
    })
  }

  return {
    /**
     * The caller's application id, or the 401 ARM answers with.
     * @param {import('node:http').IncomingHttpHeaders} headers
     * @returns {Promise<string>}
     */
    async authenticate(headers) {
      const authorization = headers.authorization
      if (authorization === undefined) {
        throw unauthorized('AuthenticationFailed', "Authentication failed. The 'Authorization' header is missing.", "The authentication failed because of missing 'Authorization' header.")
      }
      const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)
      if (!bearer?.[1]) {
        throw unauthorized('AuthenticationFailed', "Authentication failed. The 'Authorization' header is provided in an invalid format.")
      }
      const token = bearer[1]
      /** @type {import('jose').JWTPayload} */
      let claims
      try {
        claims = decodeJwt(token)
      } catch {
        throw unauthorized('InvalidAuthenticationToken', 'The access token is invalid.')
      }
      if (claims.iss !== entra.accessTokenIssuer) {
        throw unauthorized(
          'InvalidAuthenticationTokenTenant',
          `The access token is from the wrong issuer '${String(claims.iss)}'. It must match the tenant '${entra.accessTokenIssuer}' associated with this subscription. Please use the authority (URL) '${authorizationUri}' to get the token.`
        )
      }
      try {
        await compactVerify(token, entra.accessTokenKey)
      } catch {
        throw unauthorized('InvalidAuthenticationToken', 'The access token has an invalid signature.')
      }
      const allowed = audiences().flatMap(audience => [audience.replace(/\/+$/, ''), `${audience.replace(/\/+$/, '')}/`])
      const tokenAudiences = Array.isArray(claims.aud) ? claims.aud : [String(claims.aud)]
      if (!tokenAudiences.some(audience => allowed.includes(audience))) {
        throw unauthorized(
          'InvalidAuthenticationTokenAudience',
          `The access token has been obtained for wrong audience or resource '${tokenAudiences.join(',')}'. It should exactly match with one of the allowed audiences ${allowed.map(audience => `'${audience}'`).join(',')}.`
        )
      }
      const nowSeconds = now()
      const expiry = Number(claims.exp ?? 0)
      if (expiry <= nowSeconds) {
        throw unauthorized('ExpiredAuthenticationToken', `The access token expiry UTC time '${armTime(expiry)}' is earlier than current UTC time '${armTime(nowSeconds)}'.`)
      }
      return String(claims.appid ?? claims.sub ?? 'unknown')
    }
  }
}
