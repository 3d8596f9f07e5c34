/**
 * An error the user can act on: `message` says what is wrong, `hint` says what to change.
 * Everything thrown before the first side effect is one of these, so the step fails with
 * guidance instead of a stack trace.
 */
export class DeployError extends Error {
  constructor(
    message: string,
    readonly hint?: string
  ) {
    super(message)
    this.name = 'DeployError'
  }
}

/** A bad `with:` value in the workflow. */
export class InputError extends DeployError {
  override name = 'InputError'
}

/** A bad key or value in the config file. */
export class ConfigError extends DeployError {
  override name = 'ConfigError'
}

/** The message shown by `core.setFailed`: what failed, then what to change. */
export function describeFailure(error: unknown): string {
  if (error instanceof DeployError) {
    return error.hint ? `${error.message}\n  → ${error.hint}` : error.message
  }
  if (error instanceof Error) return error.message
  return String(error)
}
