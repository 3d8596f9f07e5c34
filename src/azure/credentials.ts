import { AzureCliCredential, ClientAssertionCredential, ClientSecretCredential } from '@azure/identity'
import type { AccessToken, GetTokenOptions, TokenCredential } from '@azure/core-auth'
import { DeployError } from '../errors.js'
import { unverifiedClaim, unverifiedExpiry } from './jwt.js'
import type { CloudEndpoints } from './cloud.js'
import type { SignInMethod } from './sign-in.js'

export interface CredentialDeps {
  /** A GitHub OIDC token for the audience (`core.getIDToken` on a runner). */
  getIdToken(audience: string): Promise<string>
  /** Masks a value in the log (`core.setSecret`). */
  setSecret(value: string): void
}

/** A GitHub ID token is reused while it is valid for at least this long. */
const ASSERTION_REUSE_MARGIN_MS = 60_000

/** A credential for the chosen method and cloud, masking every assertion and token it sees. */
export function createCredential(method: SignInMethod, cloud: CloudEndpoints, deps: CredentialDeps): TokenCredential {
  const options = { authorityHost: cloud.authorityHost, disableInstanceDiscovery: !cloud.knownAuthority }
  let lastAssertion: string | undefined
  let inner: TokenCredential
  switch (method.kind) {
    case 'oidc':
      // MSAL asks for an assertion on every getToken, before it looks in its token cache, and
      // every new SDK client calls getToken once: without reuse a deploy would fetch a GitHub
      // ID token (a round trip to GitHub) a dozen times for tokens MSAL already holds. One is
      // reused while it has a minute left (GitHub's live 5 minutes), so a long deploy still
      // gets a fresh one when MSAL needs a new access token.
      inner = new ClientAssertionCredential(
        method.tenantId,
        method.clientId,
        async () => {
          const expiry = unverifiedExpiry(lastAssertion)
          if (lastAssertion && expiry !== undefined && expiry - Date.now() > ASSERTION_REUSE_MARGIN_MS) return lastAssertion
          const assertion = await deps.getIdToken(cloud.oidcAudience)
          deps.setSecret(assertion)
          lastAssertion = assertion
          return assertion
        },
        options
      )
      break
    case 'client-secret':
      deps.setSecret(method.clientSecret)
      inner = new ClientSecretCredential(method.tenantId, method.clientId, method.clientSecret, options)
      break
    case 'azure-cli':
      inner = new AzureCliCredential({ tenantId: method.tenantId })
      break
  }
  return {
    async getToken(scopes: string | string[], getTokenOptions?: GetTokenOptions): Promise<AccessToken | null> {
      let token: AccessToken | null
      try {
        token = await inner.getToken(scopes, getTokenOptions)
      } catch (error) {
        throw explainSignInFailure(error, method, cloud, lastAssertion)
      }
      if (token) deps.setSecret(token.token)
      return token
    }
  }
}

/** Turn Entra ID's AADSTS codes into what to change. */
export function explainSignInFailure(error: unknown, method: SignInMethod, cloud: CloudEndpoints, assertion?: string): DeployError {
  const text = error instanceof Error ? error.message : String(error)
  const code = /AADSTS(\d+)/.exec(text)?.[1]
  const firstLine = text.split(/\r?\n/)[0] ?? text
  const app = 'clientId' in method ? `app ${method.clientId} in tenant ${method.tenantId}` : 'the signed-in identity'
  const subject = unverifiedClaim(assertion, 'sub')
  const hints: Record<string, string> = {
    '70021': `Entra ID found no federated credential on ${app} that matches this run${subject ? ` (subject ${subject})` : ''}: add one with issuer https://token.actions.githubusercontent.com${subject ? ` and subject ${subject}` : ''}.`,
    '700213': `Entra ID found no federated credential on ${app} that matches this run${subject ? ` (subject ${subject})` : ''}: add one with that subject.`,
    '7002138': `A federated credential on ${app} matches this run's subject${subject ? ` (${subject})` : ''} only when case is ignored: subjects are case-sensitive, so copy it exactly.`,
    '700016': `Check 'client-id' and 'tenant-id': Entra ID does not know ${app}.`,
    '7000215': "The client secret is wrong or expired: create a new one and update the secret passed as 'client-secret' (or switch to OIDC).",
    '700024': 'The GitHub OIDC token had expired when Entra ID checked it: re-run the job; if it recurs, check the runner clock.',
    '700212': `The federated credential's audience must be ${cloud.oidcAudience}.`,
    '700211': 'The federated credential\'s issuer must be https://token.actions.githubusercontent.com (or your GitHub Enterprise issuer).'
  }
  const hint = (code && hints[code]) ?? (method.kind === 'azure-cli' ? 'Run azure/login in an earlier step of the same job, then retry.' : `Check the sign-in settings of ${app} in Entra ID.`)
  return new DeployError(`signing in to Azure (${method.kind}, ${cloud.name}) failed: ${firstLine}`, hint)
}
