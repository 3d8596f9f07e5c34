import * as core from '@actions/core'
import { InputError } from './errors.js'
import { PART_NAMES, type PartName } from './parts.js'

export const PARTS_SELECTIONS = ['auto', 'backend', 'frontend', 'all'] as const
export type PartsSelection = (typeof PARTS_SELECTIONS)[number]

export const AUTH_MODES = ['auto', 'oidc', 'azure-cli', 'client-secret'] as const
export type AuthMode = (typeof AUTH_MODES)[number]

/** Every `with:` value, typed and validated. Built once by `getInputs()`; nothing else reads inputs. */
export interface ActionInputs {
  /** Empty: resolve from the branch map in the config. */
  environment?: string
  configPath: string
  parts: PartsSelection
  /** An explicit commit SHA to compare against; undefined for `auto`. */
  baseline?: string
  dryRun: boolean
  githubToken?: string
  /** Record a GitHub deployment per environment and part, with its statuses. */
  githubDeployments: boolean
  clientId?: string
  tenantId?: string
  subscriptionId?: string
  clientSecret?: string
  auth: AuthMode
  /** For registries that are not Azure Container Registries (or to bypass the token exchange). */
  registryUsername?: string
  registryPassword?: string
  /** Redeploy the frontend release archived for this commit, without building. */
  rollbackTo?: string
  /** Let a frontend deploy delete more of the site than `max-delete-share`. */
  allowMassDelete: boolean
}

const COMMIT_SHA = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/

export function isCommitSha(value: string): boolean {
  return COMMIT_SHA.test(value)
}

function optional(name: string): string | undefined {
  const value = core.getInput(name)
  return value === '' ? undefined : value
}

function oneOf<T extends string>(name: string, accepted: readonly T[], fallback: T): T {
  const value = core.getInput(name) || fallback
  if ((accepted as readonly string[]).includes(value)) return value as T
  throw new InputError(
    `input '${name}' is ${JSON.stringify(value)}, which is not one of: ${accepted.join(', ')}.`,
    `Set '${name}:' in the workflow step to one of ${accepted.map(a => `'${a}'`).join(', ')}.`
  )
}

function booleanInput(name: string, fallback = false): boolean {
  const value = core.getInput(name)
  if (value === '') return fallback
  if (/^(true|True|TRUE)$/.test(value)) return true
  if (/^(false|False|FALSE)$/.test(value)) return false
  throw new InputError(
    `input '${name}' is ${JSON.stringify(value)}, which is not a boolean.`,
    `Set '${name}:' to true or false.`
  )
}

/** A full commit SHA, or undefined for '' and 'auto'. Never a branch name: it may have moved. */
function commitInput(name: string, hint: string): string | undefined {
  const raw = core.getInput(name, { trimWhitespace: false }).trim()
  if (raw === '' || raw === 'auto') return undefined
  const sha = raw.toLowerCase()
  if (!isCommitSha(sha)) throw new InputError(`input '${name}' is ${JSON.stringify(raw)}, which is not a full commit SHA.`, hint)
  return sha
}

/** Secrets are masked before anything else can print them. */
function secretInput(name: string): string | undefined {
  const value = optional(name)
  if (value) core.setSecret(value)
  return value
}

export function getInputs(): ActionInputs {
  const githubToken = secretInput('github-token')
  const clientSecret = secretInput('client-secret')
  const registryPassword = secretInput('registry-password')

  const parts = oneOf('parts', PARTS_SELECTIONS, 'auto')
  const auth = oneOf('auth', AUTH_MODES, 'auto')

  const baseline = commitInput('baseline', "Give the 40-character SHA of the commit to compare against (for example ${{ github.event.before }}), or 'auto' to compare against what is deployed.")

  return {
    environment: optional('environment'),
    configPath: core.getInput('config') || '.github/azure-deploy.yml',
    parts,
    baseline,
    dryRun: booleanInput('dry-run'),
    githubToken,
    githubDeployments: booleanInput('github-deployments', true),
    clientId: optional('client-id'),
    tenantId: optional('tenant-id'),
    subscriptionId: optional('subscription-id'),
    clientSecret,
    auth,
    registryUsername: optional('registry-username'),
    registryPassword,
    rollbackTo: commitInput('rollback-to', 'Give the full SHA of the commit whose frontend release to redeploy.'),
    allowMassDelete: booleanInput('allow-mass-delete')
  }
}

/** The parts an explicit `parts:` input forces, or undefined for `auto`. */
export function forcedParts(selection: PartsSelection): readonly PartName[] | undefined {
  if (selection === 'auto') return undefined
  if (selection === 'all') return PART_NAMES
  return [selection]
}
