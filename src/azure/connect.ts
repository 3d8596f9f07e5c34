import { existsSync } from 'node:fs'
import { homedir } from 'node:os'
import path from 'node:path'
import type { TokenCredential } from '@azure/core-auth'
import { DeployError } from '../errors.js'
import type { ActionInputs } from '../inputs.js'
import type { Logger } from '../logger.js'
import type { AzureClients } from './clients.js'
import { resourceManagerScope, type CloudEndpoints } from './cloud.js'
import { chooseSignIn, type SignInOffers } from './sign-in.js'

type Env = Readonly<Record<string, string | undefined>>

/** Azure, signed in: the ARM clients, the credential behind them, and the cloud. */
export interface AzureSession {
  clients: AzureClients
  credential: TokenCredential
  cloud: CloudEndpoints
  tenantId?: string
}

/** Azure, signed in — or why not, when a dry run goes on without it. */
export type AzureAccess = AzureSession | { unavailable: DeployError }

export interface ConnectDeps {
  env: Env
  logger: Logger
  getIdToken(audience: string): Promise<string>
  setSecret(value: string): void
}

function signInOffers(env: Env): SignInOffers {
  const azureConfigDir = env.AZURE_CONFIG_DIR || path.join(env.HOME || homedir(), '.azure')
  return {
    oidc: Boolean(env.ACTIONS_ID_TOKEN_REQUEST_URL && env.ACTIONS_ID_TOKEN_REQUEST_TOKEN),
    azureCliSession: existsSync(path.join(azureConfigDir, 'azureProfile.json'))
  }
}

/**
 * Choose how to sign in and build the ARM clients. A dry run can go on without Azure; a
 * deploy cannot. The Azure SDKs load only here, so a run's first lines print at once.
 */
export async function connectAzure(inputs: Pick<ActionInputs, 'auth' | 'clientId' | 'tenantId' | 'clientSecret' | 'dryRun'>, cloud: CloudEndpoints, deps: ConnectDeps): Promise<AzureAccess> {
  let method
  try {
    method = chooseSignIn(inputs, signInOffers(deps.env))
  } catch (error) {
    if (!inputs.dryRun || !(error instanceof DeployError)) throw error
    return { unavailable: error }
  }
  const [{ createCredential }, { createAzureClients }] = await Promise.all([import('./credentials.js'), import('./clients.js')])
  const credential = createCredential(method, cloud, { getIdToken: deps.getIdToken, setSecret: deps.setSecret })
  deps.logger.info(`Azure: ${cloud.name} (${cloud.resourceManager}), signing in with ${method.kind}${'clientId' in method ? ` as ${method.clientId}` : ''}`)
  // Sign in now: a wrong federated credential or secret should fail the step here, with
  // Entra ID's reason, not as a puzzling error halfway through a deploy.
  try {
    // enableCae as the ARM pipeline asks, so this token is the one its calls reuse.
    await credential.getToken(resourceManagerScope(cloud), { enableCae: true })
  } catch (error) {
    if (!inputs.dryRun || !(error instanceof DeployError)) throw error
    return { unavailable: error }
  }
  return { clients: createAzureClients(credential, cloud), credential, cloud, tenantId: 'tenantId' in method ? method.tenantId : undefined }
}
