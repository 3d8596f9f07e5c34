import type { AzureClients } from '../azure/clients.js'
import type { WebAppTarget } from '../plan.js'
import { imageOfLinuxFxVersion, linuxFxVersionOf } from './image-reference.js'

/** What a Web App or slot runs, and where it answers. */
export interface TargetState {
  image?: string
  /** `https://<defaultHostName>` */
  url: string
}

/** The ARM operations a rollout needs, per app or slot. */
export interface WebAppControl {
  /** The image the app or slot is configured to run (what change detection compares with). */
  currentImage(target: WebAppTarget): Promise<string | undefined>
  read(target: WebAppTarget): Promise<TargetState>
  /** Point the app or slot at an image; `acrIdentity` makes it pull with its managed identity. */
  setImage(target: WebAppTarget, image: string, acrIdentity?: string): Promise<void>
  restart(target: WebAppTarget): Promise<void>
  /** Swap `target.slot` into production; settles when the long-running operation does. */
  swapIntoProduction(target: WebAppTarget): Promise<void>
}

export function createWebAppControl(clients: AzureClients): WebAppControl {
  const webApps = (target: WebAppTarget) => clients.webApps(target.subscription)
  const currentImage = async (target: WebAppTarget) => {
    const api = webApps(target)
    const config = target.slot ? await api.getConfigurationSlot(target.resourceGroup, target.app, target.slot) : await api.getConfiguration(target.resourceGroup, target.app)
    return imageOfLinuxFxVersion(config.linuxFxVersion)
  }
  return {
    currentImage,
    async read(target) {
      const api = webApps(target)
      const [site, image] = await Promise.all([target.slot ? api.getSlot(target.resourceGroup, target.app, target.slot) : api.get(target.resourceGroup, target.app), currentImage(target)])
      return { image, url: `https://${site.defaultHostName}` }
    },
    async setImage(target, image, acrIdentity) {
      const siteConfig = {
        linuxFxVersion: linuxFxVersionOf(image),
        ...(acrIdentity ? { acrUseManagedIdentityCreds: true, ...(acrIdentity === 'system' ? {} : { acrUserManagedIdentityID: acrIdentity }) } : {})
      }
      const api = webApps(target)
      if (target.slot) await api.updateConfigurationSlot(target.resourceGroup, target.app, target.slot, siteConfig)
      else await api.updateConfiguration(target.resourceGroup, target.app, siteConfig)
    },
    async restart(target) {
      const api = webApps(target)
      if (target.slot) await api.restartSlot(target.resourceGroup, target.app, target.slot, { softRestart: false, synchronous: false })
      else await api.restart(target.resourceGroup, target.app, { softRestart: false, synchronous: false })
    },
    async swapIntoProduction(target) {
      if (!target.slot) throw new Error(`${target.app} has no slot to swap into production`)
      await webApps(target).swapSlotWithProduction(target.resourceGroup, target.app, { targetSlot: target.slot, preserveVnet: true })
    }
  }
}
