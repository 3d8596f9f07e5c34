/**
 * GitHub Actions' OIDC token service, as a runner's job sees it.
 *
 * A job with `permissions: id-token: write` gets ACTIONS_ID_TOKEN_REQUEST_URL (a URL that
 * already has a query string) and ACTIONS_ID_TOKEN_REQUEST_TOKEN; `core.getIDToken(aud)`
 * sends `GET <url>&audience=<aud>` with `Authorization: Bearer <token>` and reads `value`
 * from the JSON answer. The token is an RS256 JWT whose claims are documented at
 * https://docs.github.com/en/actions/security-for-github-actions/security-hardening-your-deployments/about-security-hardening-with-openid-connect#understanding-the-oidc-token
 * The issuer is the stand-in's own (`<url>/github-oidc`), with its discovery document and
 * JWKS, so Entra ID can verify the token as it verifies GitHub's.
 */
import { randomBytes, randomUUID } from 'node:crypto'
import { calculateJwkThumbprint, createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose'
import { HttpError } from './https-server.mjs'

const TOKEN_LIFETIME_SECONDS = 300

/**
 * Claims of the tokens issued next; any claim can be set, `exp`/`iat`/`nbf` as Unix seconds.
 * @typedef {Record<string, string | number | boolean | undefined> & { sub?: string, exp?: number, iat?: number, nbf?: number }} OidcClaims
 */

/**
 * @param {{ baseUrl: string, repository: string, now: () => number, onIssued?: (token: string) => void }} options
 */
export async function createGithubOidc({ baseUrl, repository, now, onIssued = () => {} }) {
  const issuer = `${baseUrl}/github-oidc`
  const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true })
  const publicJwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(publicJwk)
  const jwks = { keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] }
  const requestToken = `standin-runtime-${randomBytes(24).toString('base64url')}`
  const requestUrl = `${issuer}/idtoken?api-version=2.0`
  const [owner = 'octo-org'] = repository.split('/')
  /** @type {OidcClaims} */
  let overrides = {}

  /** The claims GitHub puts in a push-triggered job's token, before overrides. */
  function defaultClaims() {
    return {
      sub: `repo:${repository}:ref:refs/heads/main`,
      ref: 'refs/heads/main',
      ref_type: 'branch',
      ref_protected: 'true',
      sha: '0123456789abcdef0123456789abcdef01234567',
      repository,
      repository_id: '100000001',
      repository_owner: owner,
      repository_owner_id: '10000001',
      repository_visibility: 'private',
      run_id: '1000000001',
      run_number: '1',
      run_attempt: '1',
      runner_environment: 'github-hosted',
      actor: 'octocat',
      actor_id: '583231',
      workflow: 'deploy',
      workflow_ref: `${repository}/.github/workflows/deploy.yml@refs/heads/main`,
      workflow_sha: '0123456789abcdef0123456789abcdef01234567',
      job_workflow_ref: `${repository}/.github/workflows/deploy.yml@refs/heads/main`,
      job_workflow_sha: '0123456789abcdef0123456789abcdef01234567',
      event_name: 'push',
      head_ref: '',
      base_ref: ''
    }
  }

  /**
   * A signed token for `audience`, with the current claims.
   * @param {string} audience
   */
  async function issue(audience) {
    const iat = now()
    /** @type {Record<string, unknown>} */
    const claims = { ...defaultClaims(), ...overrides }
    // A subject naming an environment comes with the `environment` claim, as on GitHub.
    const environment = /:environment:([^:]+)$/.exec(String(claims.sub))?.[1]
    if (environment !== undefined && claims.environment === undefined) claims.environment = environment
    const { exp = iat + TOKEN_LIFETIME_SECONDS, nbf = iat, iat: issuedAt = iat } = overrides
    for (const key of ['exp', 'nbf', 'iat']) delete claims[key]
    const token = await new SignJWT({ ...claims, jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid, x5t: kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(issuedAt)
      .setNotBefore(nbf)
      .setExpirationTime(exp)
      .sign(privateKey)
    onIssued(token)
    return token
  }

  return {
    issuer,
    requestUrl,
    requestToken,
    /** The issuer's keys, for Entra ID's federated-credential check. */
    keySet: createLocalJWKSet(jwks),
    /**
     * Claims for the tokens issued from now on (replacing earlier overrides).
     * @param {OidcClaims} claims
     */
    setClaims(claims) {
      overrides = { ...claims }
    },
    /** @param {import('./https-server.mjs').Router} router */
    addRoutes(router) {
      // The runner's token endpoint. GitHub answers an unknown runtime token with 401.
      router.add('GET', /^\/github-oidc\/idtoken$/, async (request) => {
        const authorization = String(request.headers.authorization ?? '')
        if (authorization !== `Bearer ${requestToken}`) {
          throw new HttpError(401, { message: 'Unauthorized: the runtime token is missing or invalid.' })
        }
        // Without `audience` GitHub uses the repository owner's URL.
        const audience = request.query.audience ?? `https://github.com/${owner}`
        return { status: 200, body: { count: 1, value: await issue(audience) } }
      })
      // OpenID discovery as at https://token.actions.githubusercontent.com/.well-known/openid-configuration
      router.add('GET', /^\/github-oidc\/\.well-known\/openid-configuration$/, () => ({
        status: 200,
        body: {
          issuer,
          jwks_uri: `${issuer}/.well-known/jwks`,
          subject_types_supported: ['public', 'pairwise'],
          response_types_supported: ['id_token'],
          claims_supported: ['sub', 'aud', 'exp', 'iat', 'iss', 'jti', 'nbf', 'ref', 'sha', 'repository', 'repository_owner', 'environment', 'job_workflow_ref', 'event_name', 'run_id', 'actor'],
          id_token_signing_alg_values_supported: ['RS256'],
          scopes_supported: ['openid']
        }
      }))
      router.add('GET', /^\/github-oidc\/\.well-known\/jwks$/, () => ({ status: 200, body: jwks }))
    }
  }
}
