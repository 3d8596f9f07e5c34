/**
 * Fault injection: the next N requests that match a rule get the rule's answer (or a delay)
 * before any route sees them. Rules count down and disappear; they are tried in the order
 * they were added, and one request consumes at most one rule.
 *
 * A failure answers in the shape of whoever would send it on Azure: on Microsoft.Web routes
 * App Service's own `{ Code, Message, ... }` (app-service-errors.mjs), except the statuses ARM
 * itself answers there (401, 403, 404, 429, 502, 504); ARM's `{ error: { code, message } }`
 * elsewhere under /subscriptions; the OAuth error on Entra's token endpoint. A rule's `shape`
 * or `body` overrides that.
 */
import { APP_SERVICE_FAULTS, ARM_LEVEL_STATUSES, appServiceErrorBody } from './app-service-errors.mjs'

/**
 * @typedef {object} FailRule
 * @property {string} [method] only this HTTP method (any when absent)
 * @property {RegExp} path matched against the request's decoded pathname
 * @property {number} [times] how many matching requests fail (default 1)
 * @property {number} status 429, 500, 409, 503, or any error status
 * @property {number} [retryAfterSeconds] sent as `Retry-After` (429 and 503 carry 1 s by default)
 * @property {number} [delayMs] wait this long before answering
 * @property {unknown} [body] answer with this body instead of the service-shaped default
 * @property {'arm' | 'app-service'} [shape] the default body's shape, when not the one the path implies
 *
 * @typedef {object} DelayRule
 * @property {string} [method]
 * @property {RegExp} path
 * @property {number} [times]
 * @property {number} delayMs the request is answered normally, this much later
 *
 * @typedef {{ kind: 'fail' | 'delay', method?: string, path: RegExp, matcher: RegExp, remaining: number, status?: number, retryAfterSeconds?: number, delayMs: number, body?: unknown, shape?: 'arm' | 'app-service' }} Fault
 *   `matcher` is `path` without the `g` flag, made once when the rule is added
 */

/**
 * ARM's answers for the statuses tests inject, as ARM words them.
 * @type {Record<number, { code: string, message: string }>}
 */
const ARM_FAULTS = {
  403: {
    code: 'AuthorizationFailed',
    message: 'The client does not have authorization to perform this action over this scope or the scope is invalid. If access was recently granted, please refresh your credentials.'
  },
  409: { code: 'Conflict', message: 'The request could not be completed due to a conflict with another operation in progress on the resource. Please retry after the operation completes.' },
  429: {
    code: 'TooManyRequests',
    message: "The request is being throttled as the limit has been reached for operation type - 'Read'. Please retry after the time given in the Retry-After header. Refer to https://aka.ms/arm-throttling."
  },
  500: { code: 'InternalServerError', message: 'Encountered internal server error. Please retry the request.' },
  502: { code: 'BadGateway', message: 'The resource provider did not answer in time. Please retry the request.' },
  503: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please retry the request later.' },
  504: { code: 'GatewayTimeout', message: 'The gateway did not receive a response from the resource provider within the specified time period.' }
}

/**
 * The body a fault answers with: App Service's shape where App Service answers, ARM's
 * `{ error: { code, message } }` elsewhere under /subscriptions, the OAuth error shape on
 * Entra's token endpoint (AADSTS90033 is Entra's "transient error").
 * @param {string} path
 * @param {number} status
 * @param {'arm' | 'app-service'} [shape]
 */
function defaultBody(path, status, shape) {
  if (/\/oauth2\//i.test(path)) {
    return { error: status === 429 ? 'temporarily_unavailable' : 'server_error', error_description: 'AADSTS90033: A transient error has occurred. Please try again.', error_codes: [90033] }
  }
  const appService = shape === undefined ? /\/providers\/Microsoft\.Web\//i.test(path) && !ARM_LEVEL_STATUSES.has(status) : shape === 'app-service'
  if (appService) {
    const known = APP_SERVICE_FAULTS[status] ?? { code: `Http${status}`, message: `Injected failure with status ${status}.` }
    return appServiceErrorBody(known.code, known.message)
  }
  const known = ARM_FAULTS[status] ?? { code: `Http${status}`, message: `Injected failure with status ${status}.` }
  return { error: known }
}

/** @param {RegExp} path */
const matcherOf = path => new RegExp(path.source, path.flags.replace('g', ''))

export function createFaults() {
  /** @type {Fault[]} */
  const rules = []

  /**
   * @param {string} method
   * @param {string} path
   */
  function take(method, path) {
    /** @param {Fault} rule */
    const matches = rule => {
      // A sticky (`y`) matcher keeps lastIndex; every request is matched from the start.
      rule.matcher.lastIndex = 0
      return rule.matcher.test(path)
    }
    const index = rules.findIndex(rule => (rule.method === undefined || rule.method.toUpperCase() === method) && matches(rule))
    if (index < 0) return undefined
    const rule = /** @type {Fault} */ (rules[index])
    rule.remaining -= 1
    if (rule.remaining <= 0) rules.splice(index, 1)
    return rule
  }

  return {
    /**
     * Fail the next `times` matching requests with `status`.
     * @param {FailRule} rule
     */
    fail({ method, path, times = 1, status, retryAfterSeconds, delayMs = 0, body, shape }) {
      const retryAfter = retryAfterSeconds ?? (status === 429 || status === 503 ? 1 : undefined)
      rules.push({ kind: 'fail', method, path, matcher: matcherOf(path), remaining: times, status, retryAfterSeconds: retryAfter, delayMs, body, shape })
    },
    /**
     * Delay the next `times` matching requests, then answer them normally.
     * @param {DelayRule} rule
     */
    delay({ method, path, times = 1, delayMs }) {
      rules.push({ kind: 'delay', method, path, matcher: matcherOf(path), remaining: times, delayMs })
    },
    /** Rules still waiting for requests. */
    pending() {
      return rules.map(({ kind, method, path, remaining, status }) => ({ kind, method, path: String(path), remaining, status }))
    },
    /** Forget every rule. */
    clear() {
      rules.length = 0
    },
    take,
    /**
     * The reply for a fault that fails a request.
     * @param {Fault} fault
     * @param {string} path
     * @returns {import('./https-server.mjs').Reply}
     */
    replyFor(fault, path) {
      const status = fault.status ?? 500
      /** @type {Record<string, string>} */
      const headers = fault.retryAfterSeconds === undefined ? {} : { 'Retry-After': String(fault.retryAfterSeconds) }
      return { status, headers, body: fault.body ?? defaultBody(path, status, fault.shape) }
    }
  }
}
