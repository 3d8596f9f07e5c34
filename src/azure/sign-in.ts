import { DeployError } from '../errors.js'
import type { ActionInputs } from '../inputs.js'

/** How the action signs in to Azure, chosen before anything runs. */
export type SignInMethod =
  | { kind: 'oidc'; tenantId: string; clientId: string }
  | { kind: 'client-secret'; tenantId: string; clientId: string; clientSecret: string }
  | { kind: 'azure-cli'; tenantId?: string }

/** What the runner offers for signing in. */
export interface SignInOffers {
  /** The runner can mint GitHub OIDC tokens: the job has `permissions: id-token: write`. */
  oidc: boolean
  /** An Azure CLI session exists, left by `azure/login`. */
  azureCliSession: boolean
}

const ADD_OIDC =
  'Add `permissions: { id-token: write }` to the job and the inputs client-id, tenant-id and subscription-id (an Entra ID app or user-assigned identity with a federated credential for this repository)'

/** Pure: the `auth` input and what the runner offers decide the method, or a clear error. */
export function chooseSignIn(inputs: Pick<ActionInputs, 'auth' | 'clientId' | 'tenantId' | 'clientSecret'>, offers: SignInOffers): SignInMethod {
  const { auth, clientId, tenantId, clientSecret } = inputs
  const needIds = (mode: string) => {
    const missing = [!clientId && 'client-id', !tenantId && 'tenant-id'].filter(Boolean)
    if (missing.length > 0) {
      throw new DeployError(`auth: ${mode} needs the ${missing.join(' and ')} input${missing.length > 1 ? 's' : ''}.`, `Set ${missing.map(m => `'${m}:'`).join(' and ')} in the workflow step (the Entra ID app's client ID and its tenant ID).`)
    }
  }
  switch (auth) {
    case 'oidc':
      needIds('oidc')
      if (!offers.oidc) {
        throw new DeployError('auth: oidc, but the runner offers no GitHub OIDC token (ACTIONS_ID_TOKEN_REQUEST_URL is not set).', 'Add `permissions: { id-token: write }` to the job (or the workflow); without it GitHub does not let the job request an ID token.')
      }
      return { kind: 'oidc', tenantId: tenantId!, clientId: clientId! }
    case 'client-secret':
      needIds('client-secret')
      if (!clientSecret) throw new DeployError("auth: client-secret, but the 'client-secret' input is empty.", "Pass the secret as `client-secret: ${{ secrets.AZURE_CLIENT_SECRET }}`, or prefer OIDC: 'auth: oidc'.")
      return { kind: 'client-secret', tenantId: tenantId!, clientId: clientId!, clientSecret }
    case 'azure-cli':
      if (!offers.azureCliSession) throw new DeployError('auth: azure-cli, but there is no Azure CLI session on this runner.', 'Run `azure/login` in an earlier step of the same job.')
      return { kind: 'azure-cli', tenantId }
    case 'auto':
      if (offers.oidc && clientId && tenantId) return { kind: 'oidc', tenantId, clientId }
      if (clientSecret && clientId && tenantId) return { kind: 'client-secret', tenantId, clientId, clientSecret }
      if (offers.azureCliSession) return { kind: 'azure-cli', tenantId }
      throw new DeployError(
        `found no way to sign in to Azure${clientId && tenantId && !offers.oidc ? ' (client-id and tenant-id are set, but the runner offers no OIDC token)' : ''}.`,
        `${ADD_OIDC}; or run azure/login in an earlier step.`
      )
  }
}
