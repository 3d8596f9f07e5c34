import type { ConfigValue } from './config.js'
import { DeployError } from './errors.js'

/**
 * Config values with `{ from-env: NAME }` read from the step's environment. Those are secrets
 * as far as the log goes (a workflow passes `${{ secrets.* }}` that way): each is masked the
 * moment it is read.
 */
export function resolveValues(
  values: Readonly<Record<string, ConfigValue>>,
  env: Readonly<Record<string, string | undefined>>,
  setSecret: (value: string) => void,
  where: string
): Record<string, string> {
  const resolved: Record<string, string> = {}
  for (const [name, value] of Object.entries(values)) {
    if (typeof value === 'string') {
      resolved[name] = value
      continue
    }
    const read = env[value.fromEnv]
    if (read === undefined) {
      throw new DeployError(`${where}.${name} takes its value from the step's env ${value.fromEnv}, which is not set.`, `Add it to the step: env: { ${value.fromEnv}: \${{ secrets.${value.fromEnv} }} }.`)
    }
    if (read !== '') setSecret(read)
    resolved[name] = read
  }
  return resolved
}
