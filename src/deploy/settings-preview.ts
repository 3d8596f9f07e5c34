/**
 * What a deploy would change in each target's app settings, by name only, read before anything
 * changes: for the plan (and a dry run) to show. Values are never shown; a `{ from-env }` value
 * the step does not set counts as unknown rather than failing the preview.
 */
import { desiredSettings, formatSettingsDiff } from '../backend/app-settings.js'
import type { WebAppControl } from '../backend/web-app-control.js'
import { targetName } from '../backend/web-app-state.js'
import { describeAzureError } from '../azure/errors.js'
import { inParallel } from '../parallel.js'
import type { DeployPlan, ImagePartPlan } from '../plan.js'

/** One line per target of each image part that deploys: `api-1: +DJANGO_SECRET_KEY ~DEBUG`. */
export async function previewSettings(plan: DeployPlan, control: Pick<WebAppControl, 'read'>, env: Readonly<Record<string, string | undefined>>): Promise<string[]> {
  const parts = plan.parts.filter((part): part is ImagePartPlan => part.kind === 'image' && part.deploy)
  const lines = await inParallel(parts, 4, async part => {
    const declared: Record<string, string> = {}
    const unknown: string[] = []
    for (const [name, value] of Object.entries(part.appSettings)) {
      if (typeof value === 'string') declared[name] = value
      else if (env[value.fromEnv] !== undefined) declared[name] = env[value.fromEnv]!
      else unknown.push(name)
    }
    return inParallel(part.targets, 8, async target => {
      try {
        const state = await control.read(target)
        const { diff } = desiredSettings(state.settings, { declared, prune: part.pruneAppSettings, port: target.port })
        const unset = unknown.length > 0 ? ` (not set in this step's env, so not compared: ${unknown.join(', ')})` : ''
        const command = target.command !== undefined && target.command !== state.command ? '; start command changes' : ''
        return `${part.name} ${targetName(target)}: app settings ${formatSettingsDiff(diff)}${unset}${command}`
      } catch (error) {
        return `${part.name} ${targetName(target)}: app settings not read (${describeAzureError(error)})`
      }
    })
  })
  return lines.flat()
}
