/**
 * The operations of a classic (AutoRest core-client) @azure/* management SDK, such as
 * @azure/arm-cdn 9 or @azure/arm-containerinstance 9, read from the package as installed.
 *
 * Such an SDK describes each operation with an `OperationSpec` (path, method, query and URL
 * parameters, request body mapper, a mapper per response status) and its models with
 * `Mappers` (types, required, constraints, enums). They are module-private, so they are
 * captured the way the SDK hands them over: every operation method of a real client is called
 * once with placeholder arguments while the client's `sendOperationRequest` records the spec
 * it is given and sends nothing.
 */
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/**
 * @typedef {import('@azure/core-client').OperationSpec} OperationSpec
 * @typedef {import('@azure/core-client').Mapper} Mapper
 *
 * @typedef {object} ClassicOperation
 * @property {string} operationId `<group>.<method>` as the SDK names it, e.g. `afdEndpoints.beginPurgeContent`
 * @property {OperationSpec} spec
 * @property {Record<string, Mapper>} modelMappers every model of the SDK (for class names and polymorphism)
 * @property {boolean} longRunning
 * @property {string | undefined} resourceLocationConfig
 */

/** A credential that is never asked for a token: nothing is sent. */
const idleCredential = { getToken: async () => ({ token: 'unused', expiresOnTimestamp: Date.now() + 3_600_000 }) }

const CAPTURED = new Error('operation spec captured')

/**
 * @param {string} packageName e.g. `@azure/arm-cdn`
 * @param {string} clientName e.g. `CdnManagementClient`
 * @param {{ from?: string }} [options] where to resolve the package from
 * @returns {Promise<{ version: string, operations: ClassicOperation[] } | undefined>} undefined when the package is not installed
 */
export async function loadClassicSdk(packageName, clientName, { from = process.cwd() } = {}) {
  const require = createRequire(path.join(from, 'package.json'))
  let packageJsonPath
  try {
    packageJsonPath = require.resolve(`${packageName}/package.json`)
  } catch {
    return undefined
  }
  const { version } = JSON.parse(readFileSync(packageJsonPath, 'utf8'))
  const sdk = require(packageName)
  const client = new sdk[clientName](idleCredential, 'subscription')
  /** @type {Map<OperationSpec, ClassicOperation>} */
  const captured = new Map()
  let current = { operationId: '', longRunning: false, resourceLocationConfig: /** @type {string | undefined} */ (undefined) }
  client.sendOperationRequest = async (/** @type {unknown} */ _args, /** @type {OperationSpec} */ spec) => {
    if (!captured.has(spec)) {
      captured.set(spec, { ...current, spec, modelMappers: /** @type {Record<string, Mapper>} */ (spec.serializer.modelMappers) })
    }
    throw CAPTURED
  }
  for (const [groupName, group] of Object.entries(client)) {
    if (group === null || typeof group !== 'object' || Object.getPrototypeOf(group) === Object.prototype) continue
    const methods = Object.getOwnPropertyNames(Object.getPrototypeOf(group)).filter(name => name !== 'constructor' && typeof group[name] === 'function')
    // Long-running methods first, so a spec they share with a plain method is marked long-running.
    methods.sort((a, b) => Number(b.startsWith('begin')) - Number(a.startsWith('begin')))
    for (const method of methods) {
      const source = String(group[method])
      current = {
        operationId: `${groupName}.${method.replace(/^_/, '')}`,
        longRunning: method.startsWith('begin'),
        resourceLocationConfig: /resourceLocationConfig: "([^"]+)"/.exec(source)?.[1]
      }
      try {
        const result = group[method]('p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8')
        if (result !== null && typeof result === 'object' && typeof result.next === 'function') await result.next()
        else await result
      } catch {
        // Every call ends at the capture (or earlier, on a placeholder the method rejects).
      }
    }
  }
  return { version, operations: [...captured.values()] }
}
