/**
 * The smoke test's steps against one Azure estate: each step calls Azure as the action does
 * (the same SDK clients, built as src/azure/clients.ts builds them), then reads the state back
 * and compares it with what the step should have left. Every step returns one row of the
 * table; a step that changes something undoes it before the next one starts.
 */
import { createHash, randomUUID } from 'node:crypto'
import { WebSiteManagementClient } from '@azure/arm-appservice'
import { CdnManagementClient } from '@azure/arm-cdn'
import { BlobServiceClient } from '@azure/storage-blob'
import { createRecorder } from './recorder.mjs'

/**
 * @typedef {object} SmokeOptions
 * @property {import('@azure/core-auth').TokenCredential} credential
 * @property {{ resourceManager: string, resourceManagerAudience: string, storageSuffix: string }} cloud
 * @property {string} subscription
 * @property {string} resourceGroup
 * @property {string} [webApp]
 * @property {string} [slot]
 * @property {string} image the public image the in-place switch sets
 * @property {string} [storageAccount]
 * @property {string} [blobEndpoint] instead of https://<storageAccount>.blob.<storageSuffix>
 * @property {{ profile: string, endpoint: string }} [frontDoor]
 * @property {{ profile: string, endpoint: string }} [cdn]
 * @property {number} timeoutSeconds the limit of each long-running operation
 * @property {(line: string) => void} [log]
 *
 * @typedef {object} SmokeRow
 * @property {string} step
 * @property {string} completion how Azure answered (status, polling headers, polls)
 * @property {string} readBack the state read back afterwards
 * @property {'ok' | 'differs' | 'failed' | 'skipped'} result
 */

const USER_AGENT = 'azure-push-deploy-smoke'

/**
 * The first line of an error, with Azure's own message when the SDK's error lacks it.
 * @param {unknown} error
 * @param {string} [azureMessage] from the error answer's body
 */
const reason = (error, azureMessage) => {
  const text = error instanceof Error ? error.message : String(error)
  const firstLine = text.split(/\r?\n/)[0] ?? text
  return azureMessage !== undefined && !firstLine.includes(azureMessage) ? `${firstLine}: ${azureMessage}` : firstLine
}

/**
 * Runs every step the options allow, in order, and returns the table rows.
 * @param {SmokeOptions} options
 * @returns {Promise<SmokeRow[]>}
 */
export async function runSmoke(options) {
  const { credential, cloud, subscription, resourceGroup } = options
  const log = options.log ?? (() => {})
  const recorder = createRecorder()
  const scope = `${cloud.resourceManagerAudience}/.default`
  const clientOptions = { userAgentOptions: { userAgentPrefix: USER_AGENT }, additionalPolicies: [recorder.additionalPolicy] }
  const webApps = new WebSiteManagementClient(credential, subscription, { endpoint: cloud.resourceManager, credentials: { scopes: [scope] }, ...clientOptions }).webApps
  const cdn = new CdnManagementClient(credential, subscription, { endpoint: cloud.resourceManager, credentialScopes: [scope], ...clientOptions })
  const lro = () => ({ abortSignal: globalThis.AbortSignal.timeout(options.timeoutSeconds * 1000) })
  /** @type {SmokeRow[]} */
  const rows = []

  /**
   * Runs one step: `action` returns the state read back and whether it matched.
   * @param {string} step
   * @param {() => Promise<{ readBack: string, matched: boolean, completion?: string } | { skipped: string }>} action
   *   `completion` where the recorder sees no ARM response (sign-in, Storage)
   */
  async function run(step, action) {
    recorder.setStep(step)
    log(`… ${step}`)
    let row
    try {
      const outcome = await action()
      row = 'skipped' in outcome ? { step, completion: '', readBack: outcome.skipped, result: /** @type {const} */ ('skipped') } : { step, completion: outcome.completion ?? recorder.completion(step), readBack: outcome.readBack, result: outcome.matched ? /** @type {const} */ ('ok') : /** @type {const} */ ('differs') }
    } catch (error) {
      row = { step, completion: recorder.completion(step), readBack: reason(error, recorder.errorMessage(step)), result: /** @type {const} */ ('failed') }
    }
    rows.push(row)
    return row
  }

  const signIn = await run('sign-in', async () => {
    const token = await credential.getToken(scope)
    if (!token) return { readBack: 'no token', matched: false }
    const minutes = Math.round((token.expiresOnTimestamp - Date.now()) / 60_000)
    return { completion: 'token issued', readBack: `an ARM token for ${cloud.resourceManagerAudience}, valid ${minutes} min`, matched: minutes > 0 }
  })
  if (signIn.result !== 'ok') return rows

  if (options.webApp !== undefined) await webAppSteps(options.webApp)
  if (options.storageAccount !== undefined || options.blobEndpoint !== undefined) await storageSteps()
  return rows

  /** @param {string} app */
  async function webAppSteps(app) {
    const { slot, image } = options
    const config = (/** @type {string | undefined} */ target) => (target === undefined ? webApps.getConfiguration(resourceGroup, app) : webApps.getConfigurationSlot(resourceGroup, app, target))
    const setImage = (/** @type {string | undefined} */ target, /** @type {string} */ linuxFxVersion) =>
      target === undefined ? webApps.updateConfiguration(resourceGroup, app, { linuxFxVersion }) : webApps.updateConfigurationSlot(resourceGroup, app, target, { linuxFxVersion })

    let original = ''
    const read = await run(`read ${app}: site and site config`, async () => {
      const [site, siteConfig] = await Promise.all([webApps.get(resourceGroup, app), config(undefined)])
      original = siteConfig.linuxFxVersion ?? ''
      return { readBack: `state ${site.state}, host ${site.defaultHostName}, linuxFxVersion '${original}'`, matched: site.state === 'Running' }
    })
    if (read.result === 'failed') return
    await run(`list ${app} sitecontainers`, async () => {
      const sidecar = original.toUpperCase() === 'SITECONTAINERS'
      const containers = []
      try {
        for await (const container of webApps.listSiteContainers(resourceGroup, app)) containers.push(`${container.name}${container.isMain ? ' (main)' : ''}: ${container.image}`)
      } catch (error) {
        // Only a sidecar app needs the listing; for any other it is informative.
        if (sidecar) throw error
        return { skipped: `not a sidecar app; the listing answered: ${reason(error, recorder.errorMessage(`list ${app} sitecontainers`))}` }
      }
      return { readBack: containers.length === 0 ? 'none (not a sidecar app)' : containers.join('; '), matched: sidecar ? containers.length > 0 : true }
    })

    // The in-place switch, as the in-place strategy does it: production's linuxFxVersion.
    if (original.toUpperCase() === 'SITECONTAINERS') {
      await run(`switch ${app} to ${image}`, async () => ({ skipped: 'a sidecar app: its images are under sitecontainers, not linuxFxVersion' }))
    } else {
      const wanted = `DOCKER|${image}`
      await run(`switch ${app} to ${image}`, async () => {
        await setImage(undefined, wanted)
        const now = (await config(undefined)).linuxFxVersion ?? ''
        return { readBack: `linuxFxVersion '${now}'`, matched: now.toLowerCase() === wanted.toLowerCase() }
      })
      // Back to what it ran, whatever the switch did.
      await run(`switch ${app} back`, async () => {
        await setImage(undefined, original)
        const now = (await config(undefined)).linuxFxVersion ?? ''
        return { readBack: `linuxFxVersion '${now}'`, matched: now === original }
      })
    }

    if (slot === undefined) return
    /** @param {string} step @param {string} expectedProduction @param {string} expectedSlot */
    const swap = (step, expectedProduction, expectedSlot) =>
      run(step, async () => {
        await webApps.swapSlotWithProduction(resourceGroup, app, { targetSlot: slot, preserveVnet: true }, lro())
        const [production, staged, site] = await Promise.all([config(undefined), config(slot), webApps.get(resourceGroup, app)])
        const status = site.slotSwapStatus
        const swapped = production.linuxFxVersion === expectedProduction && staged.linuxFxVersion === expectedSlot
        const same = expectedProduction === expectedSlot ? ' (both slots ran the same image: the swap is not visible in it)' : ''
        return {
          readBack: `production '${production.linuxFxVersion}', ${slot} '${staged.linuxFxVersion}'${status ? `, last swap ${status.sourceSlotName} → ${status.destinationSlotName} at ${status.timestampUtc?.toISOString?.() ?? status.timestampUtc}` : ''}${same}`,
          matched: swapped
        }
      })
    const productionBefore = original
    const slotBefore = (await config(slot)).linuxFxVersion ?? ''
    const swapped = await swap(`swap ${slot} into production`, slotBefore, productionBefore)
    if (swapped.result === 'ok' || swapped.result === 'differs') await swap(`swap ${slot} back`, productionBefore, slotBefore)
  }

  async function storageSteps() {
    const endpoint = options.blobEndpoint ?? `https://${options.storageAccount}.blob.${cloud.storageSuffix}`
    const service = new BlobServiceClient(endpoint, credential, { userAgentOptions: { userAgentPrefix: USER_AGENT } })
    const name = `azure-push-deploy-smoke-${randomUUID().slice(0, 8)}.txt`
    const content = Buffer.from(`azure-push-deploy smoke test ${new Date().toISOString()}\n`)
    const md5 = createHash('md5').update(content).digest()
    const blob = service.getContainerClient('$web').getBlockBlobClient(name)

    await run('read static website properties', async () => {
      const properties = await service.getProperties()
      const website = properties.staticWebsite
      return {
        completion: `GET ${properties._response.status}`,
        readBack: website?.enabled ? `enabled, index '${website.indexDocument ?? ''}', 404 document '${website.errorDocument404Path ?? '(none)'}'` : 'not enabled',
        matched: website?.enabled === true
      }
    })
    const uploaded = await run(`upload $web/${name}`, async () => {
      const response = await blob.upload(content, content.length, { blobHTTPHeaders: { blobContentType: 'text/plain; charset=utf-8', blobCacheControl: 'no-cache', blobContentMD5: md5 } })
      const properties = await blob.getProperties()
      const sameMd5 = Buffer.from(properties.contentMD5 ?? []).equals(md5)
      return {
        completion: `PUT ${response._response.status}`,
        readBack: `${properties.contentLength} bytes, ${properties.contentType}, Content-MD5 ${sameMd5 ? 'matches' : 'differs'}`,
        matched: sameMd5 && properties.contentType === 'text/plain; charset=utf-8' && properties.cacheControl === 'no-cache'
      }
    })
    if (uploaded.result === 'failed') return
    const path = `/${name}`
    if (options.frontDoor !== undefined) await frontDoorSteps(options.frontDoor, path)
    if (options.cdn !== undefined) await cdnSteps(options.cdn, path)
    await run(`delete $web/${name}`, async () => {
      const response = await blob.delete()
      const exists = await blob.exists()
      return { completion: `DELETE ${response._response.status}`, readBack: exists ? 'still there' : 'gone', matched: !exists }
    })
  }

  /**
   * @param {{ profile: string, endpoint: string }} edge
   * @param {string} path
   */
  async function frontDoorSteps(edge, path) {
    await run(`read Front Door ${edge.profile}/${edge.endpoint}`, async () => {
      const endpoint = await cdn.afdEndpoints.get(resourceGroup, edge.profile, edge.endpoint)
      const domains = []
      for await (const domain of cdn.afdCustomDomains.listByProfile(resourceGroup, edge.profile)) domains.push(domain.hostName ?? domain.name)
      const linked = new Set()
      let routes = 'routes not readable'
      try {
        for await (const route of cdn.routes.listByEndpoint(resourceGroup, edge.profile, edge.endpoint)) {
          for (const domain of route.customDomains ?? []) linked.add(domain.id?.split('/').pop() ?? '')
        }
        routes = `${linked.size} custom domain(s) linked by routes`
      } catch (error) {
        routes = `routes not readable: ${reason(error)}`
      }
      return { readBack: `host ${endpoint.hostName}; profile domains: ${domains.join(', ') || 'none'}; ${routes}`, matched: typeof endpoint.hostName === 'string' }
    })
    await run(`purge ${path} on Front Door ${edge.endpoint}`, async () => {
      await cdn.afdEndpoints.beginPurgeContentAndWait(resourceGroup, edge.profile, edge.endpoint, { contentPaths: [path] }, lro())
      return { readBack: 'purge completed (a purge leaves no state to read)', matched: true }
    })
  }

  /**
   * @param {{ profile: string, endpoint: string }} edge
   * @param {string} path
   */
  async function cdnSteps(edge, path) {
    await run(`read CDN ${edge.profile}/${edge.endpoint}`, async () => {
      const endpoint = await cdn.endpoints.get(resourceGroup, edge.profile, edge.endpoint)
      return { readBack: `host ${endpoint.hostName}, state ${endpoint.resourceState ?? 'unknown'}`, matched: typeof endpoint.hostName === 'string' }
    })
    await run(`purge ${path} on CDN ${edge.endpoint}`, async () => {
      await cdn.endpoints.beginPurgeContentAndWait(resourceGroup, edge.profile, edge.endpoint, { contentPaths: [path] }, lro())
      return { readBack: 'purge completed (a purge leaves no state to read)', matched: true }
    })
  }
}

/**
 * The table, as text: one line per step.
 * @param {SmokeRow[]} rows
 */
export function formatTable(rows) {
  const header = { step: 'step', completion: 'completion seen', readBack: 'state read back', result: 'result' }
  const all = [header, ...rows]
  /** @param {'step' | 'completion' | 'readBack' | 'result'} key */
  const width = key => Math.max(...all.map(row => row[key].length))
  const widths = { result: width('result'), step: width('step'), completion: width('completion') }
  /** @param {typeof header} row */
  const line = row => `${row.result.padEnd(widths.result)}  ${row.step.padEnd(widths.step)}  ${row.completion.padEnd(widths.completion)}  ${row.readBack}`
  return [line(header), line({ step: '-'.repeat(widths.step), completion: '-'.repeat(widths.completion), readBack: '-'.repeat(15), result: '-'.repeat(widths.result) }), ...rows.map(line)].join('\n')
}
