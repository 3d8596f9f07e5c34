/** What a deploy changes in a target's app settings, by name (values are never shown). */
export interface SettingsDiff {
  added: string[]
  changed: string[]
  removed: string[]
}

export interface SettingsRequest {
  /** The part's `app-settings` for the environment, values resolved. */
  declared: Readonly<Record<string, string>>
  /** Remove settings the config does not declare. */
  prune: boolean
  /** The target's `port`: App Service forwards to it (`WEBSITES_PORT`). */
  port?: number
}

/** App Service's own setting for the container's port. */
export const PORT_SETTING = 'WEBSITES_PORT'

/**
 * Pure: the whole set of settings a target should have — what it has, with the declared ones
 * merged in (and the rest removed when pruning) — and what that changes. Key Vault references
 * (`@Microsoft.KeyVault(...)`) are values like any other: App Service resolves them.
 */
export function desiredSettings(current: Readonly<Record<string, string>>, request: SettingsRequest): { settings: Record<string, string>; diff: SettingsDiff } {
  const declared: Record<string, string> = { ...request.declared, ...(request.port === undefined ? {} : { [PORT_SETTING]: String(request.port) }) }
  const settings: Record<string, string> = request.prune ? {} : { ...current }
  Object.assign(settings, declared)
  const diff: SettingsDiff = { added: [], changed: [], removed: [] }
  for (const [name, value] of Object.entries(settings)) {
    if (!Object.hasOwn(current, name)) diff.added.push(name)
    else if (current[name] !== value) diff.changed.push(name)
  }
  for (const name of Object.keys(current)) if (!Object.hasOwn(settings, name)) diff.removed.push(name)
  return { settings, diff }
}

/** `+A ~B -C`, or `no change`: the diff as the plan and the summary show it, names only. */
export function formatSettingsDiff(diff: SettingsDiff): string {
  const words = [...diff.added.map(name => `+${name}`), ...diff.changed.map(name => `~${name}`), ...diff.removed.map(name => `-${name}`)]
  return words.length === 0 ? 'no change' : words.join(' ')
}
