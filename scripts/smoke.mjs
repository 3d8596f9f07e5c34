/**
 * A smoke test on real Azure, on your own throwaway resources: sign-in, one in-place image
 * switch and back, one slot swap and back, one upload to the static website and its deletion,
 * one purge of that one path; read-only checks where it can. It prints a table of what Azure
 * answered and what was read back. See docs/smoke-test.md.
 *
 *   npm run smoke -- --subscription <id> --resource-group <rg> [--web-app <name> [--slot <slot>]]
 *     [--image mcr.microsoft.com/appsvc/staticsite:latest] [--storage-account <name> | --blob-endpoint <url>]
 *     [--frontdoor-profile <p> --frontdoor-endpoint <e>] [--cdn-profile <p> --cdn-endpoint <e>]
 *     [--cloud AzureCloud|AzureUSGovernment|AzureChinaCloud] [--timeout <seconds>]
 *   npm run smoke -- --standin      the same steps against the local stand-in and Azurite
 *
 * Signs in with AZURE_CLIENT_ID / AZURE_TENANT_ID / AZURE_CLIENT_SECRET (or
 * AZURE_FEDERATED_TOKEN_FILE) when set, else with the Azure CLI session (`az login`).
 * Exits 0 when every step matched, 1 when one failed or differed, 2 on a usage error.
 */
import { parseArgs } from 'node:util'
import { AzureCliCredential, ChainedTokenCredential, EnvironmentCredential } from '@azure/identity'
import { formatTable, runSmoke } from './smoke/steps.mjs'

const DEFAULT_IMAGE = 'mcr.microsoft.com/appsvc/staticsite:latest'

/** The public and sovereign clouds' endpoints (as src/azure/cloud.ts names them). */
const CLOUDS = {
  AzureCloud: { authorityHost: 'https://login.microsoftonline.com', resourceManager: 'https://management.azure.com', resourceManagerAudience: 'https://management.azure.com', storageSuffix: 'core.windows.net' },
  AzureUSGovernment: { authorityHost: 'https://login.microsoftonline.us', resourceManager: 'https://management.usgovcloudapi.net', resourceManagerAudience: 'https://management.usgovcloudapi.net', storageSuffix: 'core.usgovcloudapi.net' },
  AzureChinaCloud: { authorityHost: 'https://login.chinacloudapi.cn', resourceManager: 'https://management.chinacloudapi.cn', resourceManagerAudience: 'https://management.chinacloudapi.cn', storageSuffix: 'core.chinacloudapi.cn' }
}

const USAGE = `usage: npm run smoke -- --subscription <id> --resource-group <rg> [--web-app <name> [--slot <slot>]] [--image <ref>]
         [--storage-account <name> | --blob-endpoint <url>] [--frontdoor-profile <p> --frontdoor-endpoint <e>]
         [--cdn-profile <p> --cdn-endpoint <e>] [--cloud AzureCloud|AzureUSGovernment|AzureChinaCloud] [--timeout <seconds>]
       npm run smoke -- --standin`

/** @param {string} message */
function usageError(message) {
  process.stderr.write(`smoke: ${message}\n${USAGE}\n`)
  process.exit(2)
}

/** @param {string[]} argv */
function parse(argv) {
  try {
    return parseArgs({
      args: argv,
      options: {
        subscription: { type: 'string' },
        'resource-group': { type: 'string' },
        'web-app': { type: 'string' },
        slot: { type: 'string' },
        image: { type: 'string', default: DEFAULT_IMAGE },
        'storage-account': { type: 'string' },
        'blob-endpoint': { type: 'string' },
        'frontdoor-profile': { type: 'string' },
        'frontdoor-endpoint': { type: 'string' },
        'cdn-profile': { type: 'string' },
        'cdn-endpoint': { type: 'string' },
        cloud: { type: 'string', default: 'AzureCloud' },
        timeout: { type: 'string', default: '900' },
        standin: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false }
      },
      strict: true,
      allowPositionals: false
    }).values
  } catch (error) {
    return usageError(error instanceof Error ? error.message : String(error))
  }
}

/**
 * @param {string | undefined} profile
 * @param {string | undefined} endpoint
 * @param {string} kind
 */
function edge(profile, endpoint, kind) {
  if (profile === undefined && endpoint === undefined) return undefined
  if (profile === undefined || endpoint === undefined) return usageError(`--${kind}-profile and --${kind}-endpoint go together`)
  return { profile, endpoint }
}

const args = parse(process.argv.slice(2))
if (args.help) {
  process.stdout.write(`${USAGE}\n`)
  process.exit(0)
}
const timeoutSeconds = Number(args.timeout)
if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) usageError('--timeout takes a number of seconds')

/** @type {import('./smoke/steps.mjs').SmokeOptions} */
let options
/** @type {Awaited<ReturnType<typeof import('./smoke/standin-estate.mjs').startStandinEstate>> | undefined} */
let estate
if (args.standin) {
  const { startStandinEstate } = await import('./smoke/standin-estate.mjs')
  estate = await startStandinEstate({ image: args.image ?? DEFAULT_IMAGE })
  options = { ...estate, timeoutSeconds, log: line => process.stderr.write(`${line}\n`) }
} else {
  const cloudName = /** @type {keyof typeof CLOUDS} */ (args.cloud)
  const cloud = CLOUDS[cloudName]
  if (cloud === undefined) usageError(`--cloud must be one of ${Object.keys(CLOUDS).join(', ')}`)
  if (args.subscription === undefined || args['resource-group'] === undefined) usageError('--subscription and --resource-group are required')
  if (args.slot !== undefined && args['web-app'] === undefined) usageError('--slot needs --web-app')
  const credential = new ChainedTokenCredential(new EnvironmentCredential({ authorityHost: cloud.authorityHost }), new AzureCliCredential({ tenantId: process.env.AZURE_TENANT_ID }))
  options = {
    credential,
    cloud,
    subscription: /** @type {string} */ (args.subscription),
    resourceGroup: /** @type {string} */ (args['resource-group']),
    webApp: args['web-app'],
    slot: args.slot,
    image: args.image ?? DEFAULT_IMAGE,
    storageAccount: args['storage-account'],
    blobEndpoint: args['blob-endpoint'],
    frontDoor: edge(args['frontdoor-profile'], args['frontdoor-endpoint'], 'frontdoor'),
    cdn: edge(args['cdn-profile'], args['cdn-endpoint'], 'cdn'),
    timeoutSeconds,
    log: line => process.stderr.write(`${line}\n`)
  }
  if ((options.frontDoor !== undefined || options.cdn !== undefined) && options.storageAccount === undefined && options.blobEndpoint === undefined) {
    usageError('a purge purges the file the smoke test uploads: give --storage-account too')
  }
}

let failed = false
try {
  const rows = await runSmoke(options)
  process.stdout.write(`${formatTable(rows)}\n`)
  failed = rows.some(row => row.result === 'failed' || row.result === 'differs')
  if (estate !== undefined) {
    const contract = estate.contract()
    process.stdout.write(`\ncontract check: ${contract.requests} ARM requests and ${contract.answers} answers checked (${contract.polls} polls), ${contract.violations.length} outside the contract\n`)
    for (const violation of contract.violations) process.stdout.write(`  ${violation}\n`)
    if (contract.violations.length > 0) failed = true
  }
} finally {
  await estate?.close()
}
process.exitCode = failed ? 1 : 0
