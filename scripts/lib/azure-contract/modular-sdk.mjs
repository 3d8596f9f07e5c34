/**
 * The operations of a modular (TypeSpec-generated) @azure/* management SDK, such as
 * @azure/arm-appservice 19, read from the package as installed.
 *
 * Each operation of such an SDK is an exported pair in `dist/esm/api/<group>/operations.js`:
 * `_<op>Send(context, ...)` builds the request (URL template, method, serialized body) and
 * `_<op>Deserialize(result)` accepts the expected statuses and deserializes the body. Both
 * are run here on probes (see probe.mjs) with a recording context, so the contract is the
 * SDK's own code at the version installed: nothing is copied or written by hand.
 */
import { readdirSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { createProbe, shapeFromOutput, shapeFromReads } from './probe.mjs'

const HTTP_METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head']

/**
 * @typedef {import('./probe.mjs').ShapeNode} ShapeNode
 *
 * @typedef {object} ModularOperation
 * @property {string} operationId `<group>.<operation>` as the SDK names it, e.g. `webApps.updateConfiguration`
 * @property {string} method
 * @property {string} template the path template, e.g. `/subscriptions/{subscriptionId}/…/config/web`
 * @property {string[]} queryParameters the query names the template allows
 * @property {string} apiVersion
 * @property {ShapeNode | undefined} requestBody
 * @property {string[]} statuses the success statuses the SDK accepts
 * @property {ShapeNode | undefined} responseBody undefined when the operation answers no body
 * @property {ShapeNode} errorBody
 * @property {{ resourceLocationConfig: string | undefined } | undefined} longRunning
 */

/**
 * The parameter names of a function, from its source text.
 * @param {Function} fn
 */
function parameterNames(fn) {
  const match = /^[^(]*\(([^)]*)\)/.exec(fn.toString())
  return (match?.[1] ?? '')
    .split(',')
    .map(parameter => parameter.split('=')[0]?.trim() ?? '')
    .filter(name => name !== '')
}

/**
 * What a `_<op>Send` function asks for: method, URL template, query names and request body shape.
 * @param {Function} send
 */
function probeSend(send) {
  const source = send.toString()
  const template = /expandUrlTemplate\("([^"]+)"/.exec(source)?.[1]
  if (template === undefined) return undefined
  const [pathPart = '', queryPart = ''] = template.split('{?')
  const pathVariables = new Set([...pathPart.matchAll(/\{([^}]+)\}/g)].map(match => match[1]))
  const queryParameters = queryPart
    .replace(/\}$/, '')
    .split(',')
    .filter(name => name !== '')
    .map(name => decodeURIComponent(name))
  const apiVersion = /"api%2Dversion": context\.apiVersion \?\? "([^"]+)"/.exec(source)?.[1]
  /** @type {{ method?: string, body?: unknown }} */
  const recorded = {}
  const verbs = Object.fromEntries(
    HTTP_METHODS.map(method => [
      method,
      (/** @type {{ body?: unknown }} */ options) => {
        recorded.method = method.toUpperCase()
        recorded.body = options?.body
        return Promise.resolve({ status: '200', headers: {}, body: undefined })
      }
    ])
  )
  const context = { subscriptionId: 'subscription', apiVersion: undefined, path: () => verbs, pathUnchecked: () => verbs }
  const args = parameterNames(send).map(name => {
    if (name === 'context') return context
    if (name === 'options') return { requestOptions: {} }
    return pathVariables.has(name) ? name : createProbe().proxy
  })
  let requestBody
  try {
    void send(...args)
    requestBody = recorded.body === undefined ? undefined : shapeFromOutput(recorded.body)
  } catch {
    // A body the probe cannot walk (bytes, streams): its structure is not checked.
    requestBody = { kind: 'leaf' }
  }
  if (recorded.method === undefined) recorded.method = /context\.path\(path\)\.(\w+)\(/.exec(source)?.[1]?.toUpperCase()
  return { method: recorded.method ?? 'GET', template: pathPart, queryParameters, apiVersion: apiVersion ?? '', requestBody }
}

/**
 * What a `_<op>Deserialize` function accepts and reads.
 * @param {Function} deserialize
 */
async function probeDeserialize(deserialize) {
  const source = deserialize.toString()
  const statuses = JSON.parse(/expectedStatuses = (\[[^\]]*\])/.exec(source)?.[1] ?? '["200"]')
  const bodyProbe = createProbe()
  let responseBody
  try {
    await deserialize({ status: statuses[0], headers: {}, body: bodyProbe.proxy })
    const readsBody = !/\n\s*return;\s*\n\s*\}\s*$/.test(source)
    responseBody = readsBody ? shapeFromReads(bodyProbe) : undefined
  } catch {
    responseBody = { kind: 'leaf' }
  }
  const errorProbe = createProbe()
  try {
    await deserialize({ status: '599', headers: {}, body: errorProbe.proxy })
  } catch {
    // The error branch throws after deserializing the error body: that is the point.
  }
  return { statuses, responseBody, errorBody: shapeFromReads(errorProbe, { coercionIsDate: false }) }
}

/**
 * Every operation of a modular SDK's `dist/esm/api/<group>/operations.js` modules.
 * @param {string} packageName e.g. `@azure/arm-appservice`
 * @param {{ from?: string, groups?: string[] }} [options] from: where to resolve the package; groups: only these operation groups
 * @returns {Promise<{ version: string, operations: ModularOperation[] }>}
 */
export async function loadModularSdk(packageName, { from = process.cwd(), groups } = {}) {
  const require = createRequire(path.join(from, 'package.json'))
  const packageRoot = path.dirname(require.resolve(`${packageName}/package.json`))
  const { version } = JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8'))
  const apiRoot = path.join(packageRoot, 'dist', 'esm', 'api')
  const groupNames = readdirSync(apiRoot, { withFileTypes: true })
    .filter(entry => entry.isDirectory() && (groups === undefined || groups.includes(entry.name)))
    .map(entry => entry.name)
  /** @type {ModularOperation[]} */
  const operations = []
  for (const group of groupNames) {
    const modulePath = path.join(apiRoot, group, 'operations.js')
    /** @type {Record<string, unknown>} */
    const exported = await import(pathToFileURL(modulePath).href)
    for (const [name, send] of Object.entries(exported)) {
      const operation = /^_(.+)Send$/.exec(name)?.[1]
      if (operation === undefined || typeof send !== 'function') continue
      const deserialize = exported[`_${operation}Deserialize`]
      const request = probeSend(send)
      if (request === undefined || typeof deserialize !== 'function') continue
      const response = await probeDeserialize(deserialize)
      const publicFunction = exported[operation]
      const publicSource = typeof publicFunction === 'function' ? publicFunction.toString() : ''
      const longRunning = publicSource.includes('getLongRunningPoller(')
        ? { resourceLocationConfig: /resourceLocationConfig: "([^"]+)"/.exec(publicSource)?.[1] }
        : undefined
      operations.push({ operationId: `${group}.${operation.replace(/^\$/, '')}`, ...request, ...response, longRunning })
    }
  }
  return { version, operations }
}
