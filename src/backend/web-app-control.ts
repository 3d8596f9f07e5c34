import type { SiteConfig, SiteContainer } from '@azure/arm-appservice'
import type { AzureClients } from '../azure/clients.js'
import type { WebAppTarget } from '../plan.js'
import { imageOfLinuxFxVersion, linuxFxVersionOf } from './image-reference.js'

/** What a Web App or slot runs and with what, and where it answers: a rollback puts exactly this back. */
export interface TargetState {
  image?: string
  /** `https://<defaultHostName>` */
  url: string
  /** Kudu (SCM), where App Service's docker log is read: `https://<scm host>`. */
  scmUrl?: string
  /** Every app setting, as App Service holds them. */
  settings: Record<string, string>
  /** The startup command (`appCommandLine`, or the main sidecar's `startUpCommand`); '' for the image's own. */
  command: string
  /** Sidecar apps (`SITECONTAINERS`): the main container, whose image the deploy changes. */
  mainContainer?: { name: string; definition: SiteContainer }
}

/** What a target should run. `settings` is the whole set (App Service replaces it as a whole). */
export interface DesiredState {
  image: string
  settings: Record<string, string>
  command: string
}

/** The ARM operations a rollout needs, per app or slot. */
export interface WebAppControl {
  /** The image the app or slot is configured to run (what change detection compares with). */
  currentImage(target: WebAppTarget): Promise<string | undefined>
  read(target: WebAppTarget): Promise<TargetState>
  /**
   * Make the app or slot run `desired`, in one update so that it restarts once; the same state
   * again is a restart (a tag is not pulled again otherwise). `acrIdentity` makes it pull with its
   * managed identity.
   */
  apply(target: WebAppTarget, desired: DesiredState, current: TargetState, acrIdentity?: string): Promise<void>
  restart(target: WebAppTarget): Promise<void>
  /** Swap `target.slot` into production; settles when the long-running operation does. */
  swapIntoProduction(target: WebAppTarget): Promise<void>
}

const sameSettings = (a: Record<string, string>, b: Record<string, string>) => {
  const keys = Object.keys(a)
  return keys.length === Object.keys(b).length && keys.every(key => Object.hasOwn(b, key) && b[key] === a[key])
}

/** The repository host of a site, from its host name states (Kudu runs there). */
function scmHost(site: { hostNameSslStates?: { name?: string; hostType?: string }[] }): string | undefined {
  return site.hostNameSslStates?.find(state => state.hostType === 'Repository')?.name
}

export function createWebAppControl(clients: AzureClients): WebAppControl {
  const webApps = (target: WebAppTarget) => clients.webApps(target.subscription)
  const siteConfigOf = async (target: WebAppTarget) => {
    const api = await webApps(target)
    return target.slot ? api.getConfigurationSlot(target.resourceGroup, target.app, target.slot) : api.getConfiguration(target.resourceGroup, target.app)
  }
  const mainContainerOf = async (target: WebAppTarget): Promise<TargetState['mainContainer']> => {
    const api = await webApps(target)
    const containers = target.slot ? api.listSiteContainersSlot(target.resourceGroup, target.app, target.slot) : api.listSiteContainers(target.resourceGroup, target.app)
    for await (const container of containers) {
      if (container.isMain && container.name) return { name: container.name.split('/').pop()!, definition: container }
    }
    return undefined
  }
  const isSidecarApp = (config: SiteConfig) => /^SITECONTAINERS$/i.test(config.linuxFxVersion?.trim() ?? '')
  const restart = async (target: WebAppTarget) => {
    const api = await webApps(target)
    if (target.slot) await api.restartSlot(target.resourceGroup, target.app, target.slot, { softRestart: false, synchronous: false })
    else await api.restart(target.resourceGroup, target.app, { softRestart: false, synchronous: false })
  }
  /** One update of the site: its config, app settings included, applied together. */
  const patchSite = async (target: WebAppTarget, siteConfig: SiteConfig) => {
    const api = await webApps(target)
    if (target.slot) await api.updateSlot(target.resourceGroup, target.app, target.slot, { siteConfig })
    else await api.update(target.resourceGroup, target.app, { siteConfig })
  }
  const settingsList = (settings: Record<string, string>) => Object.entries(settings).map(([name, value]) => ({ name, value }))

  const currentImage = async (target: WebAppTarget) => {
    const config = await siteConfigOf(target)
    if (isSidecarApp(config)) return (await mainContainerOf(target))?.definition.image
    return imageOfLinuxFxVersion(config.linuxFxVersion)
  }

  return {
    currentImage,
    async read(target) {
      const api = await webApps(target)
      const [site, config, settings] = await Promise.all([
        target.slot ? api.getSlot(target.resourceGroup, target.app, target.slot) : api.get(target.resourceGroup, target.app),
        siteConfigOf(target),
        target.slot ? api.listApplicationSettingsSlot(target.resourceGroup, target.app, target.slot) : api.listApplicationSettings(target.resourceGroup, target.app)
      ])
      const mainContainer = isSidecarApp(config) ? await mainContainerOf(target) : undefined
      const scm = scmHost(site)
      return {
        image: mainContainer ? mainContainer.definition.image : imageOfLinuxFxVersion(config.linuxFxVersion),
        url: `https://${site.defaultHostName}`,
        scmUrl: scm ? `https://${scm}` : undefined,
        settings: { ...(settings.properties ?? {}) },
        command: (mainContainer ? mainContainer.definition.startUpCommand : config.appCommandLine) ?? '',
        mainContainer
      }
    },
    async apply(target, desired, current, acrIdentity) {
      const api = await webApps(target)
      const settingsChange = !sameSettings(desired.settings, current.settings)
      const pull = acrIdentity ? { acrUseManagedIdentityCreds: true, ...(acrIdentity === 'system' ? {} : { acrUserManagedIdentityID: acrIdentity }) } : {}
      if (current.mainContainer) {
        // A sidecar app: only the main container's image (and start command) change; the others stay.
        const { name, definition } = current.mainContainer
        if (settingsChange) await patchSite(target, { appSettings: settingsList(desired.settings), ...pull })
        const container: SiteContainer = { ...definition, image: desired.image, startUpCommand: desired.command || undefined }
        if (target.slot) await api.createOrUpdateSiteContainerSlot(target.resourceGroup, target.app, target.slot, name, container)
        else await api.createOrUpdateSiteContainer(target.resourceGroup, target.app, name, container)
        return
      }
      const unchanged = desired.image === current.image && !settingsChange && desired.command === current.command
      if (unchanged) {
        await restart(target)
        return
      }
      const siteConfig: SiteConfig = { linuxFxVersion: linuxFxVersionOf(desired.image), ...pull }
      if (!settingsChange && desired.command === current.command) {
        // The image alone: the site config, as App Service's own tools change it.
        if (target.slot) await api.updateConfigurationSlot(target.resourceGroup, target.app, target.slot, siteConfig)
        else await api.updateConfiguration(target.resourceGroup, target.app, siteConfig)
        return
      }
      // Image, settings and command in one update of the site: one restart, never new code on old settings.
      await patchSite(target, { ...siteConfig, appCommandLine: desired.command, appSettings: settingsList(desired.settings) })
    },
    restart,
    async swapIntoProduction(target) {
      if (!target.slot) throw new Error(`${target.app} has no slot to swap into production`)
      const api = await webApps(target)
      const requested = Date.now()
      try {
        await api.swapSlotWithProduction(target.resourceGroup, target.app, { targetSlot: target.slot, preserveVnet: true })
      } catch (error) {
        // App Service may end a swap in a way the SDK's poller rejects (a final 204): what the
        // site records decides, not the status code.
        const status = (await api.get(target.resourceGroup, target.app).catch(() => undefined))?.slotSwapStatus
        const swappedAt = status?.timestampUtc ? new Date(status.timestampUtc).getTime() : 0
        if (swappedAt >= requested - 5_000 && status?.sourceSlotName?.toLowerCase() === target.slot.toLowerCase()) return
        throw error
      }
    }
  }
}
