/**
 * Fault injection: the next N requests that match a rule get the rule's answer (or a delay)
 * before any route sees them. Rules count down and disappear; they are tried in the order
 * they were added, and one request consumes at most one rule.
 */

/**
 * @typedef {object} FailRule
 * @property {string} [method] only this HTTP method (any when absent)
 * @property {RegExp} path matched against the request's decoded pathname
 * @property {number} [times] how many matching requests fail (default 1)
 * @property {number} status 429, 500, 409, 503, or any error status
 * @property {number} [retryAfterSeconds] sent as `Retry-After` (429 and 503 carry 1 s by default)
 * @property {number} [delayMs] wait this long before answering
 * @property {unknown} [body] answer with this body instead of the service-shaped default
 *
 * @typedef {object} DelayRule
 * @property {string} [method]
 * @property {RegExp} path
 * @property {number} [times]
 * @property {number} delayMs the request is answered normally, this much later
 *
 * @typedef {{ kind: 'fail' | 'delay', method?: string, path: RegExp, matcher: RegExp, remaining: number, status?: number, retryAfterSeconds?: number, delayMs: number, body?: unknown }} Fault
 *   `matcher` is `path` without the `g` flag, made once when the rule is added
 */

/**
 * ARM's answers for the statuses tests inject, as ARM words them.
 * @type {Record<number, { code: string, message: string }>}
 */
const ARM_FAULTS = {
  409: { code: 'Conflict', message: 'The request could not be completed due to a conflict with another operation in progress on the resource. Please retry after the operation completes.' },
  429: {
    code: 'TooManyRequests',
    message: "The request is being throttled as the limit has been reached for operation type - 'Read'. Please retry after the time given in the Retry-After header. Refer to https://aka.ms/arm-throttling."
  },
  500: { code: 'InternalServerError', message: 'Encountered internal server error. Please retry the request.' },
  502: { code: 'BadGateway', message: 'The resource provider did not answer in time. Please retry the request.' },
  503: { code: 'ServiceUnavailable', message: 'The service is temporarily unavailable. Please retry the request later.' }
}

/**
 * The body a fault answers with: ARM's `{ error: { code, message } }` under /subscriptions,
 * the OAuth error shape on Entra's token endpoint (AADSTS90033 is Entra's "transient error").
 * @param {string} path
 * @param {number} status
 */
function defaultBody(path, status) {
  if (/\/oauth2\//i.test(path)) {
    return { error: status === 429 ? 'temporarily_unavailable' : 'server_error', error_description: 'AADSTS90033: A transient error has occurred. Please try again.', error_codes: [90033] }
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
    fail({ method, path, times = 1, status, retryAfterSeconds, delayMs = 0, body }) {
      const retryAfter = retryAfterSeconds ?? (status === 429 || status === 503 ? 1 : undefined)
      rules.push({ kind: 'fail', method, path, matcher: matcherOf(path), remaining: times, status, retryAfterSeconds: retryAfter, delayMs, body })
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
      return { status, headers, body: fault.body ?? defaultBody(path, status) }
    }
  }
}
