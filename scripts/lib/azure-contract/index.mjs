/**
 * The REST contract of the Azure Resource Manager operations the action's SDKs can send, as
 * those SDKs carry it when installed, and a check of one HTTP exchange against it.
 *
 *   const contract = await loadAzureContract()
 *   const { violations } = contract.check({ method, path, query, requestBody, status, responseHeaders, responseBody })
 *
 * Sources (nothing is copied or downloaded; the installed packages are read at load time):
 * - Microsoft.Web: @azure/arm-appservice (modular): each operation's `_<op>Send` and
 *   `_<op>Deserialize`, run on probes (modular-sdk.mjs): paths, methods, query names,
 *   statuses, long-running flag, and the names and structure of every body.
 * - Microsoft.Cdn: @azure/arm-cdn, and Microsoft.ContainerInstance:
 *   @azure/arm-containerinstance when installed (classic): each operation's `OperationSpec`
 *   and the `Mappers` (classic-sdk.mjs): the same, plus types, required, enums, constraints.
 * - Polling: ARM's asynchronous-operation protocol for the URLs an answer handed out in
 *   `Azure-AsyncOperation`, `Operation-Location` or `Location`.
 *
 * Only ARM (`/subscriptions/…`) is in scope: Entra ID, GitHub and the site listeners are not.
 */
import { loadClassicSdk } from './classic-sdk.mjs'
import { loadModularSdk } from './modular-sdk.mjs'
import { checkAgainstMapper, checkAgainstShape, UNDOCUMENTED } from './wire-check.mjs'

/**
 * @typedef {object} Exchange one request to the stand-in and its answer
 * @property {string} method
 * @property {string} path decoded, without the query
 * @property {Record<string, string>} query
 * @property {string} requestBody the raw body text ('' when none)
 * @property {number} status
 * @property {Record<string, string>} responseHeaders
 * @property {unknown} responseBody as sent: a JSON value, text, or undefined
 *
 * @typedef {object} CheckResult
 * @property {'arm' | 'poll' | 'out-of-scope'} scope
 * @property {string | undefined} operation `<provider> <operationId>` of the matched operation
 * @property {string[]} violations each names the exchange part and what is wrong
 * @property {string[]} undocumented properties an answer carries that the model does not name:
 *   allowed (Azure sends some, the SDKs ignore them), listed so they stay visible
 *
 * @typedef {object} ContractOperation an operation of either kind of SDK, ready to check
 * @property {string} provider e.g. `Microsoft.Web`
 * @property {string} operationId
 * @property {string} method
 * @property {RegExp} pattern
 * @property {number} literalLength how specific the template is (longer literal text wins)
 * @property {string} apiVersion
 * @property {Set<string>} queryNames lower-case
 * @property {boolean} longRunning
 * @property {string[]} statuses
 * @property {(body: unknown) => string[]} checkRequestBody
 * @property {boolean} takesBody
 * @property {(status: string, body: unknown) => string[]} checkResponseBody
 * @property {(body: unknown) => string[]} checkErrorBody
 */

/** The provider namespaces whose operations are checked, with the SDK that holds each contract. */
export const CONTRACT_SOURCES = [
  { provider: 'Microsoft.Web', packageName: '@azure/arm-appservice', kind: 'modular' },
  { provider: 'Microsoft.Cdn', packageName: '@azure/arm-cdn', kind: 'classic', clientName: 'CdnManagementClient' },
  { provider: 'Microsoft.ContainerInstance', packageName: '@azure/arm-containerinstance', kind: 'classic', clientName: 'ContainerInstanceManagementClient' }
]

/** @param {unknown} body */
const hasBody = body => body !== undefined && body !== ''

/**
 * App Service answers its own errors as `{ Code, Message, Target, Details, Innererror }`,
 * not in the `{ error: { … } }` shape its REST spec declares; both are accepted for
 * Microsoft.Web. See the "App Service error bodies" note in docs/azure-operations.md.
 * @param {unknown} body
 */
function isAppServiceErrorShape(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false
  const keys = Object.keys(body)
  return keys.includes('Code') && keys.includes('Message') && keys.every(key => ['Code', 'Message', 'Target', 'Details', 'Innererror', 'ExtendedCode', 'MessageTemplate', 'Parameters'].includes(key))
}

/**
 * A path template as a case-insensitive regular expression (ARM paths are case-insensitive).
 * @param {string} template
 */
function templatePattern(template) {
  const source = template
    .split(/(\{[^}]+\})/)
    .map(part => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('')
  return new RegExp(`^${source}$`, 'i')
}

/** @param {string} template */
const literalLength = template => template.replace(/\{[^}]+\}/g, '').length

/** @param {string} template */
const providerOf = template => /\/providers\/([^/]+)\//i.exec(template)?.[1] ?? ''

/**
 * @param {import('./modular-sdk.mjs').ModularOperation} operation
 * @param {string} provider
 * @returns {ContractOperation}
 */
function fromModular(operation, provider) {
  const { requestBody, responseBody, errorBody } = operation
  return {
    provider,
    operationId: operation.operationId,
    method: operation.method,
    pattern: templatePattern(operation.template),
    literalLength: literalLength(operation.template),
    apiVersion: operation.apiVersion,
    queryNames: new Set(operation.queryParameters.map(name => name.toLowerCase())),
    longRunning: operation.longRunning !== undefined,
    statuses: operation.statuses,
    takesBody: requestBody !== undefined,
    checkRequestBody: body => (requestBody === undefined ? [] : checkAgainstShape(requestBody, body, 'request body')),
    checkResponseBody: (status, body) => {
      if (responseBody === undefined) return hasBody(body) ? [`the ${status} answer has a body, but the operation answers none`] : []
      return checkAgainstShape(responseBody, body, 'response body')
    },
    checkErrorBody: body => {
      if (provider === 'Microsoft.Web' && isAppServiceErrorShape(body)) return []
      return [...checkArmError(body), ...checkAgainstShape(errorBody, body, 'error body')]
    }
  }
}

/**
 * @param {import('./classic-sdk.mjs').ClassicOperation} operation
 * @returns {ContractOperation}
 */
function fromClassic(operation) {
  const { spec, modelMappers } = operation
  const request = { modelMappers, direction: /** @type {const} */ ('request') }
  const response = { modelMappers, direction: /** @type {const} */ ('response') }
  const apiVersionParameter = (spec.queryParameters ?? []).find(parameter => parameter.mapper.serializedName === 'api-version')
  const bodyMapper = spec.requestBody?.mapper
  const statuses = Object.keys(spec.responses).filter(status => status !== 'default')
  return {
    provider: providerOf(spec.path ?? ''),
    operationId: operation.operationId,
    method: spec.httpMethod,
    pattern: templatePattern(spec.path ?? ''),
    literalLength: literalLength(spec.path ?? ''),
    apiVersion: String(apiVersionParameter?.mapper.defaultValue ?? ''),
    queryNames: new Set((spec.queryParameters ?? []).map(parameter => String(parameter.mapper.serializedName).toLowerCase())),
    longRunning: operation.longRunning,
    statuses,
    takesBody: bodyMapper !== undefined,
    checkRequestBody: body => (bodyMapper === undefined ? [] : checkAgainstMapper(bodyMapper, body, 'request body', request)),
    checkResponseBody: (status, body) => {
      const mapper = spec.responses[status]?.bodyMapper
      if (mapper === undefined) return hasBody(body) ? [`the ${status} answer has a body, but the operation answers none`] : []
      return checkAgainstMapper(mapper, body, 'response body', response)
    },
    checkErrorBody: body => {
      const mapper = spec.responses.default?.bodyMapper
      return [...checkArmError(body), ...(mapper === undefined ? [] : checkAgainstMapper(mapper, body, 'error body', response))]
    }
  }
}

/**
 * ARM's status monitor (`Azure-AsyncOperation` / `Operation-Location`): `status` required;
 * the other properties ARM's asynchronous-operation protocol names.
 * @param {unknown} body
 */
function checkOperationStatus(body) {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return ['the operation status must be a JSON object']
  const record = /** @type {Record<string, unknown>} */ (body)
  const issues = []
  if (typeof record.status !== 'string' || record.status === '') issues.push('the operation status has no `status` string')
  for (const key of Object.keys(record)) {
    if (!['id', 'name', 'resourceId', 'status', 'startTime', 'endTime', 'percentComplete', 'properties', 'error'].includes(key)) issues.push(`operation status.${key} ${UNDOCUMENTED}`)
  }
  for (const key of ['startTime', 'endTime']) {
    if (record[key] !== undefined && record[key] !== null && (typeof record[key] !== 'string' || Number.isNaN(Date.parse(String(record[key]))))) issues.push(`operation status.${key} must be a date-time string`)
  }
  if (record.status === 'Failed' && (record.error === null || typeof record.error !== 'object')) issues.push('a Failed operation status carries no `error`')
  if (record.error !== undefined && record.error !== null) issues.push(...checkArmError({ error: record.error }).map(issue => issue.replace('error body', 'operation status')))
  return issues
}

/**
 * ARM's common error shape, `{ error: { code, message, target?, details?, additionalInfo? } }`.
 * @param {unknown} body
 */
function checkArmError(body) {
  const error = /** @type {{ error?: Record<string, unknown> } | null} */ (body)?.error
  if (error === null || typeof error !== 'object') return ['error body must be `{ error: { code, message } }`']
  const issues = []
  if (typeof error.code !== 'string') issues.push('error body.error.code must be a string')
  if (typeof error.message !== 'string') issues.push('error body.error.message must be a string')
  return issues
}

/** @param {Record<string, string>} headers */
function pollingHeaders(headers) {
  /** @type {Record<string, string>} */
  const found = {}
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase()
    if (['azure-asyncoperation', 'operation-location', 'location'].includes(lower)) found[lower] = String(value)
  }
  return found
}

/** @param {string} url */
function pollingKey(url) {
  try {
    const parsed = new URL(url)
    return decodeURIComponent(parsed.pathname).toLowerCase()
  } catch {
    return undefined
  }
}

/**
 * Loads the contract from the installed SDKs.
 * @param {{ from?: string }} [options] the directory whose node_modules hold the SDKs (default: the working directory)
 */
export async function loadAzureContract({ from = process.cwd() } = {}) {
  /** @type {ContractOperation[]} */
  const operations = []
  /** @type {{ provider: string, packageName: string, version: string | undefined, operations: number }[]} */
  const sources = []
  for (const source of CONTRACT_SOURCES) {
    if (source.kind === 'modular') {
      const loaded = await loadModularSdk(source.packageName, { from })
      const converted = loaded.operations.map(operation => fromModular(operation, source.provider))
      operations.push(...converted)
      sources.push({ provider: source.provider, packageName: source.packageName, version: loaded.version, operations: converted.length })
    } else {
      const loaded = await loadClassicSdk(source.packageName, source.clientName ?? '', { from })
      const converted = (loaded?.operations ?? []).map(fromClassic).filter(operation => operation.provider.toLowerCase() === source.provider.toLowerCase())
      operations.push(...converted)
      sources.push({ provider: source.provider, packageName: source.packageName, version: loaded?.version, operations: converted.length })
    }
  }

  /** Polling URLs answers handed out: path → what polling them returns. */
  /** @type {Map<string, { kind: 'status' | 'result', operation: ContractOperation }>} */
  const pollingUrls = new Map()

  /**
   * The operation a request names: same method, template matches, most specific first.
   * @param {string} method
   * @param {string} path
   */
  function find(method, path) {
    const matches = operations.filter(operation => operation.method === method && operation.pattern.test(path))
    return matches.sort((a, b) => b.literalLength - a.literalLength)[0]
  }

  /**
   * The request half: method and path name an operation, query and body fit it.
   * @param {Exchange} exchange
   * @param {ContractOperation} operation
   */
  function checkRequest(exchange, operation) {
    const issues = []
    const apiVersion = Object.entries(exchange.query).find(([name]) => name.toLowerCase() === 'api-version')?.[1]
    if (apiVersion !== operation.apiVersion) issues.push(`api-version is ${apiVersion === undefined ? 'missing' : `'${apiVersion}'`}, the contract's is '${operation.apiVersion}'`)
    for (const name of Object.keys(exchange.query)) {
      if (!operation.queryNames.has(name.toLowerCase())) issues.push(`query parameter '${name}' is not one the operation takes`)
    }
    if (exchange.requestBody === '') {
      if (operation.takesBody) issues.push('the request has no body, but the operation takes one')
      return issues
    }
    if (!operation.takesBody) return [...issues, 'the request has a body, but the operation takes none']
    let body
    try {
      body = JSON.parse(exchange.requestBody)
    } catch {
      return [...issues, 'the request body is not JSON']
    }
    return [...issues, ...operation.checkRequestBody(body)]
  }

  /**
   * The answer half: a status the operation declares (or an error), its body, and the polling
   * headers of a long-running operation.
   * @param {Exchange} exchange
   * @param {ContractOperation} operation
   */
  function checkAnswer(exchange, operation) {
    const status = String(exchange.status)
    if (exchange.status >= 400) return operation.checkErrorBody(exchange.responseBody)
    if (!operation.statuses.includes(status)) return [`status ${status} is not one the operation answers (${operation.statuses.join(', ')}, or an error)`]
    const issues = operation.checkResponseBody(status, exchange.responseBody)
    if (operation.longRunning && (status === '201' || status === '202')) {
      const headers = pollingHeaders(exchange.responseHeaders)
      if (Object.keys(headers).length === 0) issues.push(`a long-running operation answered ${status} without Azure-AsyncOperation, Operation-Location or Location`)
    }
    return issues
  }

  /**
   * A poll of a URL an earlier answer handed out.
   * @param {Exchange} exchange
   * @param {{ kind: 'status' | 'result', operation: ContractOperation }} polled
   */
  function checkPoll(exchange, polled) {
    const issues = []
    if (exchange.method !== 'GET') issues.push(`a polling URL was requested with ${exchange.method}, not GET`)
    if (exchange.status >= 400) return [...issues, ...checkArmError(exchange.responseBody)]
    if (polled.kind === 'status') {
      if (exchange.status !== 200) return [...issues, `the operation status answered ${exchange.status}, not 200`]
      return [...issues, ...checkOperationStatus(exchange.responseBody)]
    }
    if (exchange.status === 202 || exchange.status === 204) return issues
    if (exchange.status === 200 || exchange.status === 201) return [...issues, ...polled.operation.checkResponseBody('200', exchange.responseBody)]
    return [...issues, `the operation result answered ${exchange.status}, not 200, 201, 202 or 204`]
  }

  /** @param {Exchange} exchange @param {ContractOperation} operation */
  function rememberPollingUrls(exchange, operation) {
    for (const [name, url] of Object.entries(pollingHeaders(exchange.responseHeaders))) {
      const key = pollingKey(url)
      if (key !== undefined) pollingUrls.set(key, { kind: name === 'location' ? 'result' : 'status', operation })
    }
  }

  /** requests and answers checked (polls included), polls, exchanges out of scope, violations found, checks per operation, undocumented answer properties seen */
  const stats = { requests: 0, answers: 0, polls: 0, outOfScope: 0, violations: 0, operations: /** @type {Map<string, number>} */ (new Map()), undocumented: /** @type {Set<string>} */ (new Set()) }

  return {
    sources,
    /** How many operations the contract holds. */
    size: operations.length,
    stats,
    /**
     * Checks one exchange. ARM requests only; anything else is out of scope.
     * @param {Exchange} exchange
     * @returns {CheckResult}
     */
    check(exchange) {
      const method = exchange.method.toUpperCase()
      if (!/^\/subscriptions\//i.test(exchange.path)) {
        stats.outOfScope += 1
        return { scope: 'out-of-scope', operation: undefined, violations: [], undocumented: [] }
      }
      const polled = pollingUrls.get(exchange.path.toLowerCase())
      stats.requests += 1
      if (polled !== undefined) {
        stats.polls += 1
        stats.answers += 1
        const name = `${polled.operation.provider} ${polled.operation.operationId} (poll)`
        const found = checkPoll({ ...exchange, method }, polled)
        const undocumented = found.filter(issue => issue.endsWith(UNDOCUMENTED))
        const violations = found.filter(issue => !issue.endsWith(UNDOCUMENTED)).map(issue => `answer: ${issue}`)
        rememberPollingUrls(exchange, polled.operation)
        stats.violations += violations.length
        for (const issue of undocumented) stats.undocumented.add(`${name}: ${issue}`)
        return { scope: 'poll', operation: name, violations, undocumented }
      }
      const operation = find(method, exchange.path)
      if (operation === undefined) {
        const provider = providerOf(exchange.path)
        const loaded = sources.find(source => source.provider.toLowerCase() === provider.toLowerCase())
        const why =
          loaded === undefined
            ? `no contract covers the provider '${provider || '(none)'}'`
            : loaded.operations === 0
              ? `the contract of ${loaded.provider} is not loaded (${loaded.packageName} is not installed)`
              : `no ${loaded.provider} operation of ${loaded.packageName} ${loaded.version} is ${method} on this path`
        stats.violations += 1
        return { scope: 'arm', operation: undefined, violations: [`${method} ${exchange.path}: ${why}`], undocumented: [] }
      }
      stats.answers += 1
      const name = `${operation.provider} ${operation.operationId}`
      stats.operations.set(name, (stats.operations.get(name) ?? 0) + 1)
      const answer = checkAnswer(exchange, operation)
      const undocumented = answer.filter(issue => issue.endsWith(UNDOCUMENTED))
      const violations = [...checkRequest(exchange, operation).map(issue => `request: ${issue}`), ...answer.filter(issue => !issue.endsWith(UNDOCUMENTED)).map(issue => `answer: ${issue}`)]
      rememberPollingUrls(exchange, operation)
      stats.violations += violations.length
      for (const issue of undocumented) stats.undocumented.add(`${name}: ${issue.replace(/\[\d+\]/g, '[]')}`)
      return { scope: 'arm', operation: name, violations, undocumented }
    }
  }
}

/** @typedef {Awaited<ReturnType<typeof loadAzureContract>>} AzureContract */
