/**
 * ARM's asynchronous operations (ARM RPC, "Asynchronous operations"):
 * https://github.com/Azure/azure-resource-manager-rpc/blob/master/v1.0/async-api-reference.md
 *
 * A resource provider answers a long-running request with 201/202 and one or both of
 * - `Azure-AsyncOperation: .../operationStatuses/{id}` (or ACI's `.../operations/{id}`): GET
 *   answers 200 with `{ id, name, status: InProgress|Succeeded|Failed|Canceled, startTime,
 *   endTime?, error? }`, and `Retry-After` while in progress;
 * - `Location: .../operationResults/{id}`: GET answers 202 (with Location and Retry-After) while
 *   in progress, then the final status: 200 (no body), 204 (no body), or the error's status with
 *   the provider's error body;
 * and `Retry-After` (seconds).
 *
 * Each provider's own habit is a *mode*, chosen per namespace:
 * - `async-operation` (Microsoft.Cdn, Microsoft.ContainerInstance): both headers, status polled
 *   at the location-scoped `operationStatuses`, the Location answers 200 at the end;
 * - `location-200` (Microsoft.Web, the default for it): App Service answers a swap with 202 and
 *   only `Location: .../sites/{name}[/slots/{slot}]/operationresults/{id}` (as seen in the field:
 *   microsoft/azure-pipelines-tasks#13003), polled until it answers 200;
 * - `location-204`: the same, ending with 204 and no body (ARM RPC allows either).
 *
 * What the SDKs do with them: @azure/core-lro polls `Operation-Location`, else
 * `Azure-AsyncOperation`, else `Location`; with only `Location` the HTTP status is the state
 * (202 running, 200/204 done). The modular @azure/arm-appservice 19 checks every poll's status
 * against the operation's expected codes (`["202", "200", "201"]` for the swaps), so a final
 * 204 rejects the poller with "Unexpected status code: 204" although the swap succeeded.
 */
import { randomUUID } from 'node:crypto'
import { HttpError, armError } from './https-server.mjs'

/**
 * @typedef {'async-operation' | 'location-200' | 'location-204'} LroMode
 *
 * @typedef {object} Operation
 * @property {string} id
 * @property {string} statusPath
 * @property {string} resultPath
 * @property {LroMode} mode how the operation was announced and how its Location ends
 * @property {'InProgress' | 'Succeeded' | 'Failed' | 'Canceled'} status
 * @property {string} startTime
 * @property {string} [endTime]
 * @property {{ status: number, code: string, message: string, body: unknown }} [error] `body` is the provider's own error body
 * @property {string} kind what the operation does, for the state and the call log
 */

export const LRO_MODES = /** @type {const} */ (['async-operation', 'location-200', 'location-204'])

/**
 * @param {{ baseUrl: string, location: string, retryAfterSeconds: () => number, modeFor: (namespace: string) => LroMode }} options
 */
export function createLongRunningOperations({ baseUrl, location, retryAfterSeconds, modeFor }) {
  /** @type {Map<string, Operation>} */
  const operations = new Map()
  /** @type {Set<ReturnType<typeof setTimeout>>} */
  const timers = new Set()

  /**
   * Starts an operation that completes after `durationMs` by running `complete` (and waiting for
   * it); it fails with the HttpError (or any error, as 500) that `complete` throws.
   * @param {object} options
   * @param {string} options.kind
   * @param {string} options.subscription
   * @param {string} options.namespace e.g. `Microsoft.Web`; picks the mode
   * @param {string} options.apiVersion echoed in the polling URLs, as ARM does
   * @param {number} options.durationMs
   * @param {() => Promise<void> | void} options.complete
   * @param {(id: string) => string} [options.resultPath] the Location path (default: location-scoped `operationResults`)
   * @param {(id: string) => string} [options.statusPath] the Azure-AsyncOperation path (default: location-scoped `operationStatuses`)
   * @param {number} [options.acceptedStatus] the initial answer's status (default 202)
   * @param {unknown} [options.acceptedBody] the initial answer's body (default none)
   * @returns {{ operation: Operation, reply: import('./https-server.mjs').Reply }}
   */
  function start({ kind, subscription, namespace, apiVersion, durationMs, complete, resultPath, statusPath, acceptedStatus = 202, acceptedBody }) {
    const id = randomUUID()
    const prefix = `/subscriptions/${subscription}/providers/${namespace}/locations/${location}`
    /** @type {Operation} */
    const operation = {
      id,
      kind,
      mode: modeFor(namespace),
      statusPath: statusPath?.(id) ?? `${prefix}/operationStatuses/${id}`,
      resultPath: resultPath?.(id) ?? `${prefix}/operationResults/${id}`,
      status: 'InProgress',
      startTime: new Date().toISOString()
    }
    operations.set(id, operation)
    const timer = setTimeout(async () => {
      timers.delete(timer)
      try {
        await complete()
        operation.status = 'Succeeded'
      } catch (error) {
        operation.status = 'Failed'
        if (error instanceof HttpError) {
          const body = /** @type {{ error?: { code?: string, message?: string }, Code?: string, Message?: string }} */ (error.body)
          operation.error = { status: error.status, code: body.error?.code ?? body.Code ?? 'Failed', message: body.error?.message ?? body.Message ?? 'The operation failed.', body: error.body }
        } else {
          const message = error instanceof Error ? error.message : String(error)
          operation.error = { status: 500, code: 'InternalServerError', message, body: { error: { code: 'InternalServerError', message } } }
        }
      }
      operation.endTime = new Date().toISOString()
    }, durationMs)
    timers.add(timer)
    return { operation, reply: { status: acceptedStatus, headers: pollingHeaders(operation, apiVersion), body: acceptedBody } }
  }

  /**
   * The headers that announce an operation, as its mode says.
   * @param {Operation} operation
   * @param {string} apiVersion
   * @returns {Record<string, string>}
   */
  function pollingHeaders(operation, apiVersion) {
    const query = `?api-version=${encodeURIComponent(apiVersion)}`
    const location = { Location: `${baseUrl}${operation.resultPath}${query}`, 'Retry-After': String(retryAfterSeconds()) }
    return operation.mode === 'async-operation' ? { 'Azure-AsyncOperation': `${baseUrl}${operation.statusPath}${query}`, ...location } : location
  }

  /** @param {string} id */
  function find(id) {
    const operation = operations.get(id)
    if (operation === undefined) throw armError(404, 'OperationNotFound', `The operation '${id}' could not be found.`)
    return operation
  }

  /** @type {import('./https-server.mjs').RouteHandler} */
  const statusRoute = (request, { id = '' }) => {
    const operation = find(id)
    /** @type {Record<string, string>} */
    const headers = operation.status === 'InProgress' ? { 'Retry-After': String(retryAfterSeconds()) } : {}
    const { status, startTime, endTime, error } = operation
    return {
      status: 200,
      headers,
      body: {
        id: operation.statusPath,
        name: operation.id,
        status,
        startTime,
        ...(endTime === undefined ? {} : { endTime }),
        ...(error === undefined ? {} : { error: { code: error.code, message: error.message } })
      }
    }
  }

  /** @type {import('./https-server.mjs').RouteHandler} */
  const resultRoute = (request, { id = '' }) => {
    const operation = find(id)
    if (operation.status === 'InProgress') {
      const { Location, 'Retry-After': retryAfter } = pollingHeaders(operation, request.apiVersion ?? '')
      return { status: 202, headers: { Location: String(Location), 'Retry-After': String(retryAfter) } }
    }
    if (operation.error !== undefined) throw new HttpError(operation.error.status, operation.error.body)
    return { status: operation.mode === 'location-204' ? 204 : 200 }
  }

  return {
    start,
    /** Every operation so far, oldest first. */
    list() {
      return [...operations.values()]
    },
    /** @param {import('./https-server.mjs').Router} router */
    addRoutes(router) {
      const prefix = '^/subscriptions/[^/]+/providers/(?<namespace>[^/]+)/locations/[^/]+'
      router.add('GET', new RegExp(`${prefix}/(?:operationStatuses|operations)/(?<id>[^/]+)$`, 'i'), statusRoute)
      router.add('GET', new RegExp(`${prefix}/operationResults/(?<id>[^/]+)$`, 'i'), resultRoute)
      // App Service's own result location, under the site or slot the operation ran on.
      router.add('GET', /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.Web\/sites\/[^/]+(?:\/slots\/[^/]+)?\/operationresults\/(?<id>[^/]+)$/i, resultRoute)
    },
    /** Cancels the timers of operations still running (the stand-in is closing). */
    stop() {
      for (const timer of timers) clearTimeout(timer)
      timers.clear()
    }
  }
}
