/**
 * Reads the wire shape of a model out of a modular @azure/* SDK's own (de)serializer code,
 * by running that code on a recording stand-in value (a "probe") instead of real data.
 *
 * A deserializer reads wire properties (`item["linuxFxVersion"]`), turns dates into `Date`
 * (`new Date(item["x"])`), maps arrays (`item["x"].map(...)`) and records
 * (`Object.entries(item["x"])`): the probe records each of those, so the reads made are the
 * model's wire schema. A serializer does the same from the client side and returns the wire
 * object: its output's structure is the wire schema.
 *
 * The result is a {@link ShapeNode} tree. It knows the names and the structure of every
 * property; the SDK's JavaScript carries no primitive types, so a leaf accepts any JSON value.
 */

/**
 * @typedef {{ kind: 'leaf' }
 *   | { kind: 'date' }
 *   | { kind: 'object', properties: Map<string, ShapeNode> }
 *   | { kind: 'array', items: ShapeNode }
 *   | { kind: 'record', values: ShapeNode }} ShapeNode
 */

const RECORD_KEY = '\u0000record-value'
const DATE_MARK = '\u0000date'
const PROBE = Symbol('probe')

/**
 * @typedef {object} ProbeState
 * @property {Map<string, ProbeState>} children properties read, in order
 * @property {ProbeState | undefined} element set when the value was mapped as an array
 * @property {ProbeState | undefined} recordValue set when its entries were listed (a record)
 * @property {boolean} coerced turned into a primitive (`new Date(x)`, a template string)
 * @property {boolean} asDate `toISOString()` was called on it (a serializer writing a date)
 * @property {object} proxy the value the SDK code sees
 */

/** @returns {ProbeState} */
export function createProbe() {
  /** @type {ProbeState} */
  const state = { children: new Map(), element: undefined, recordValue: undefined, coerced: false, asDate: false, proxy: {} }
  /** @param {string} key */
  const child = key => {
    let found = state.children.get(key)
    if (found === undefined) {
      found = createProbe()
      state.children.set(key, found)
    }
    return found.proxy
  }
  state.proxy = new Proxy(
    {},
    {
      get(_target, key) {
        if (key === PROBE) return state
        if (key === Symbol.toPrimitive) {
          return () => {
            state.coerced = true
            return '2000-01-01T00:00:00Z'
          }
        }
        if (typeof key === 'symbol' || key === 'then' || key === 'toJSON') return undefined
        if (key === 'map') {
          return (/** @type {(value: unknown, index: number) => unknown} */ callback) => {
            state.element ??= createProbe()
            return [callback(state.element.proxy, 0)]
          }
        }
        if (key === 'toISOString') {
          return () => {
            state.asDate = true
            return DATE_MARK
          }
        }
        if (key === RECORD_KEY) {
          state.recordValue ??= createProbe()
          return state.recordValue.proxy
        }
        return child(key)
      },
      ownKeys() {
        state.recordValue ??= createProbe()
        return [RECORD_KEY]
      },
      getOwnPropertyDescriptor(_target, key) {
        if (key !== RECORD_KEY) return undefined
        state.recordValue ??= createProbe()
        return { value: state.recordValue.proxy, enumerable: true, configurable: true, writable: true }
      },
      has(_target, key) {
        return key !== PROBE
      }
    }
  )
  return state
}

/**
 * The probe behind a value, when it is one.
 * @param {unknown} value
 * @returns {ProbeState | undefined}
 */
function probeOf(value) {
  if (value === null || typeof value !== 'object') return undefined
  try {
    return /** @type {ProbeState | undefined} */ (/** @type {Record<symbol, unknown>} */ (value)[PROBE])
  } catch {
    return undefined
  }
}

/**
 * The wire shape a deserializer read from a probe.
 * @param {ProbeState} state
 * @param {{ coercionIsDate?: boolean }} [options] false where code turns values into text for
 *   other reasons (an error's message becomes the thrown error's message)
 * @returns {ShapeNode}
 */
export function shapeFromReads(state, { coercionIsDate = true } = {}) {
  const options = { coercionIsDate }
  if (state.element !== undefined) return { kind: 'array', items: shapeFromReads(state.element, options) }
  if (state.recordValue !== undefined) return { kind: 'record', values: shapeFromReads(state.recordValue, options) }
  if (state.children.size > 0) {
    return { kind: 'object', properties: new Map([...state.children].map(([key, value]) => [key, shapeFromReads(value, options)])) }
  }
  return state.coerced && coercionIsDate ? { kind: 'date' } : { kind: 'leaf' }
}

/**
 * The wire shape of what a serializer returned for a probe.
 * @param {unknown} output
 * @returns {ShapeNode}
 */
export function shapeFromOutput(output) {
  if (output === DATE_MARK) return { kind: 'date' }
  const probe = probeOf(output)
  if (probe !== undefined) return probe.asDate ? { kind: 'date' } : { kind: 'leaf' }
  if (Array.isArray(output)) return output.length === 0 ? { kind: 'leaf' } : { kind: 'array', items: shapeFromOutput(output[0]) }
  if (output !== null && typeof output === 'object') {
    const entries = Object.entries(output).filter(([, value]) => value !== undefined)
    const recordEntry = entries.find(([key]) => key === RECORD_KEY)
    if (recordEntry !== undefined) return { kind: 'record', values: shapeFromOutput(recordEntry[1]) }
    return { kind: 'object', properties: new Map(entries.map(([key, value]) => [key, shapeFromOutput(value)])) }
  }
  return { kind: 'leaf' }
}
