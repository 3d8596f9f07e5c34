import * as core from '@actions/core'
import { InputError } from './errors.js'

/** `auto` (what differs from what is deployed), `all`, or the part names to deploy whatever changed. */
export type PartsSelection = 'auto' | 'all' | { names: string[] }

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
  /** Minutes the whole deploy may take before it rolls back and fails. */
  deadlineMinutes: number
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

  const parts = partsInput()
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
    allowMassDelete: booleanInput('allow-mass-delete'),
    deadlineMinutes: minutesInput('deadline', 60)
  }
}

/** `auto`, `all`, or part names separated by commas or spaces (checked against the config later). */
function partsInput(): PartsSelection {
  const value = core.getInput('parts').trim() || 'auto'
  if (value === 'auto' || value === 'all') return value
  const names = value.split(/[\s,]+/).filter(Boolean)
  const bad = names.find(name => !/^[a-z][a-z0-9-]{0,31}$/.test(name))
  if (bad !== undefined) {
    throw new InputError(`input 'parts' is ${JSON.stringify(value)}: ${JSON.stringify(bad)} is not a part name.`, "Set 'parts:' to auto, all, or part names from the config separated by commas (for example 'api,worker').")
  }
  return { names: [...new Set(names)] }
}

function minutesInput(name: string, fallback: number): number {
  const value = core.getInput(name).trim()
  if (value === '') return fallback
  const minutes = Number(value)
  if (!Number.isFinite(minutes) || minutes < 1 || minutes > 360) {
    throw new InputError(`input '${name}' is ${JSON.stringify(value)}, which is not a number of minutes between 1 and 360.`, `Set '${name}:' to the minutes the deploy may take, below the job's timeout-minutes (default ${fallback}).`)
  }
  return minutes
}

/** The parts an explicit `parts:` input forces, or undefined for `auto`; an unknown name is refused. */
export function forcedParts(selection: PartsSelection, configured: readonly string[]): readonly string[] | undefined {
  if (selection === 'auto') return undefined
  if (selection === 'all') return configured
  const unknown = selection.names.filter(name => !configured.includes(name))
  if (unknown.length > 0) {
    throw new InputError(`input 'parts' names ${unknown.map(name => JSON.stringify(name)).join(', ')}, which the config does not have. Its parts: ${configured.join(', ')}.`, "Set 'parts:' to auto, all, or some of those names.")
  }
  return selection.names
}
