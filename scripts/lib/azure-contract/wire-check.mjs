/**
 * Checks a JSON value as it travels on the wire against a model: a core-client `Mapper`
 * (classic SDKs: names, types, required, enums, constraints) or a probed shape (modular
 * SDKs: names and structure). Each finding is one line naming the JSON path.
 */

/**
 * @typedef {import('@azure/core-client').Mapper} Mapper
 * @typedef {import('@azure/core-client').CompositeMapper} CompositeMapper
 * @typedef {import('./probe.mjs').ShapeNode} ShapeNode
 */

/** The end of a finding about a property the model does not name. */
export const UNDOCUMENTED = 'is not a property of the model'

/** @param {unknown} value */
const describe = value => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)}`)

/** @param {unknown} value */
const isPlainObject = value => value !== null && typeof value === 'object' && !Array.isArray(value)

/** @param {string} text */
const isDateText = text => !Number.isNaN(Date.parse(text))

/**
 * @param {string} where
 * @param {string} key
 */
const child = (where, key) => (/^[A-Za-z_$][\w$]*$/.test(key) ? `${where}.${key}` : `${where}[${JSON.stringify(key)}]`)

/**
 * Names and structure against a probed shape. `null` is accepted anywhere (Azure sends it
 * for unset properties); a leaf accepts any JSON value.
 * @param {ShapeNode} shape
 * @param {unknown} value
 * @param {string} where
 * @returns {string[]}
 */
export function checkAgainstShape(shape, value, where) {
  if (value === null || value === undefined || shape.kind === 'leaf') return []
  switch (shape.kind) {
    case 'date':
      return typeof value === 'string' && isDateText(value) ? [] : [`${where} must be a date-time string, got ${describe(value)}`]
    case 'array':
      return Array.isArray(value) ? value.flatMap((item, index) => checkAgainstShape(shape.items, item, `${where}[${index}]`)) : [`${where} must be an array, got ${describe(value)}`]
    case 'record':
      return isPlainObject(value)
        ? Object.entries(/** @type {Record<string, unknown>} */ (value)).flatMap(([key, item]) => checkAgainstShape(shape.values, item, child(where, key)))
        : [`${where} must be an object (a map), got ${describe(value)}`]
    case 'object': {
      if (!isPlainObject(value)) return [`${where} must be an object, got ${describe(value)}`]
      return Object.entries(/** @type {Record<string, unknown>} */ (value)).flatMap(([key, item]) => {
        const property = shape.properties.get(key)
        return property === undefined ? [`${child(where, key)} ${UNDOCUMENTED}`] : checkAgainstShape(property, item, child(where, key))
      })
    }
    default:
      return []
  }
}

/**
 * A serializedName split into wire keys: `properties.contentPaths` → [properties, contentPaths];
 * `odata\\.type` stays one key.
 * @param {string} serializedName
 */
function wireKeys(serializedName) {
  return serializedName.split(/(?<!\\)\./).map(key => key.replaceAll('\\.', '.'))
}

/**
 * @typedef {object} MapperContext
 * @property {Record<string, Mapper>} modelMappers
 * @property {'request' | 'response'} direction requests must carry required properties; read-only ones are not checked
 */

/**
 * The full mapper of a composite (by class name) and, for a polymorphic base, the subtype the
 * wire value names.
 * @param {CompositeMapper} mapper
 * @param {Record<string, unknown>} value
 * @param {MapperContext} context
 * @returns {CompositeMapper}
 */
function resolveComposite(mapper, value, context) {
  const className = mapper.type.className
  let resolved = mapper.type.modelProperties === undefined && className !== undefined ? /** @type {CompositeMapper} */ (context.modelMappers[className] ?? mapper) : mapper
  const discriminator = resolved.type.polymorphicDiscriminator
  if (discriminator !== undefined) {
    const discriminatorValue = value[discriminator.serializedName.replaceAll('\\', '')]
    const base = resolved.type.uberParent ?? resolved.type.className
    const discriminators = /** @type {Record<string, CompositeMapper> | undefined} */ (/** @type {Record<string, unknown>} */ (context.modelMappers).discriminators)
    const subtype = typeof discriminatorValue === 'string' ? discriminators?.[`${base}.${discriminatorValue}`] : undefined
    if (subtype !== undefined) resolved = subtype
  }
  return resolved
}

/**
 * A value against a core-client mapper.
 * @param {Mapper} mapper
 * @param {unknown} value
 * @param {string} where
 * @param {MapperContext} context
 * @returns {string[]}
 */
export function checkAgainstMapper(mapper, value, where, context) {
  if (value === null || value === undefined) {
    return mapper.required && !mapper.nullable && context.direction === 'request' ? [`${where} is required`] : []
  }
  if (mapper.isConstant && mapper.defaultValue !== undefined && value !== mapper.defaultValue) {
    return [`${where} must be ${JSON.stringify(mapper.defaultValue)}, got ${describe(value)}`]
  }
  const issues = checkConstraints(mapper, value, where)
  const typeName = mapper.type.name
  switch (typeName) {
    case 'String':
    case 'Uuid':
    case 'TimeSpan':
    case 'ByteArray':
    case 'Base64Url':
      return typeof value === 'string' ? issues : [...issues, `${where} must be a string, got ${describe(value)}`]
    case 'Number':
    case 'UnixTime':
      return typeof value === 'number' ? issues : [...issues, `${where} must be a number, got ${describe(value)}`]
    case 'Boolean':
      return typeof value === 'boolean' ? issues : [...issues, `${where} must be a boolean, got ${describe(value)}`]
    case 'Date':
    case 'DateTime':
    case 'DateTimeRfc1123':
      return typeof value === 'string' && isDateText(value) ? issues : [...issues, `${where} must be a date-time string, got ${describe(value)}`]
    case 'Enum': {
      const allowed = /** @type {import('@azure/core-client').EnumMapper} */ (mapper).type.allowedValues
      const known = allowed.some(option => (typeof option === 'string' && typeof value === 'string' ? option.toLowerCase() === value.toLowerCase() : option === value))
      return known ? issues : [...issues, `${where} must be one of ${allowed.map(option => JSON.stringify(option)).join(', ')}, got ${describe(value)}`]
    }
    case 'Sequence': {
      if (!Array.isArray(value)) return [...issues, `${where} must be an array, got ${describe(value)}`]
      const element = /** @type {import('@azure/core-client').SequenceMapper} */ (mapper).type.element
      return [...issues, ...value.flatMap((item, index) => checkAgainstMapper(element, item, `${where}[${index}]`, context))]
    }
    case 'Dictionary': {
      if (!isPlainObject(value)) return [...issues, `${where} must be an object (a map), got ${describe(value)}`]
      const valueMapper = /** @type {import('@azure/core-client').DictionaryMapper} */ (mapper).type.value
      return [...issues, ...Object.entries(/** @type {Record<string, unknown>} */ (value)).flatMap(([key, item]) => checkAgainstMapper(valueMapper, item, child(where, key), context))]
    }
    case 'Composite':
      if (!isPlainObject(value)) return [...issues, `${where} must be an object, got ${describe(value)}`]
      return [...issues, ...checkComposite(resolveComposite(/** @type {CompositeMapper} */ (mapper), /** @type {Record<string, unknown>} */ (value), context), /** @type {Record<string, unknown>} */ (value), where, context)]
    default:
      // Object, Stream: any JSON.
      return issues
  }
}

/**
 * @typedef {{ mapper?: Mapper, nested: Map<string, WireTree> }} WireTree the wire keys of a
 *   composite, with flattened properties (`properties.x`) as nested trees
 */

/**
 * @param {CompositeMapper} mapper
 * @param {Record<string, unknown>} value
 * @param {string} where
 * @param {MapperContext} context
 * @returns {string[]}
 */
function checkComposite(mapper, value, where, context) {
  /** @type {WireTree} */
  const tree = { nested: new Map() }
  for (const propertyMapper of Object.values(mapper.type.modelProperties ?? {})) {
    if (propertyMapper.serializedName === undefined) continue
    let node = tree
    for (const key of wireKeys(propertyMapper.serializedName)) {
      let next = node.nested.get(key)
      if (next === undefined) {
        next = { nested: new Map() }
        node.nested.set(key, next)
      }
      node = next
    }
    node.mapper = propertyMapper
  }
  const additional = mapper.type.additionalProperties
  return checkTree(tree, value, where, context, additional)
}

/**
 * @param {WireTree} tree
 * @param {Record<string, unknown>} value
 * @param {string} where
 * @param {MapperContext} context
 * @param {Mapper | undefined} additional the mapper of properties the model does not name
 * @returns {string[]}
 */
function checkTree(tree, value, where, context, additional) {
  const issues = []
  for (const [key, node] of tree.nested) {
    const item = value[key]
    const at = child(where, key)
    if (node.mapper !== undefined) {
      if (node.mapper.readOnly && context.direction === 'request') continue
      issues.push(...checkAgainstMapper(node.mapper, item, at, context))
    } else if (item !== undefined && item !== null) {
      if (isPlainObject(item)) issues.push(...checkTree(node, /** @type {Record<string, unknown>} */ (item), at, context, undefined))
      else issues.push(`${at} must be an object, got ${describe(item)}`)
    } else if (context.direction === 'request' && [...node.nested.values()].some(nested => nested.mapper?.required)) {
      issues.push(`${at} is required`)
    }
  }
  for (const key of Object.keys(value)) {
    if (tree.nested.has(key)) continue
    if (additional !== undefined) issues.push(...checkAgainstMapper(additional, value[key], child(where, key), context))
    else issues.push(`${child(where, key)} ${UNDOCUMENTED}`)
  }
  return issues
}

/**
 * The constraints a mapper declares (pattern, lengths, bounds, item counts).
 * @param {Mapper} mapper
 * @param {unknown} value
 * @param {string} where
 * @returns {string[]}
 */
function checkConstraints(mapper, value, where) {
  const constraints = mapper.constraints
  if (constraints === undefined) return []
  const issues = []
  if (typeof value === 'string') {
    if (constraints.MaxLength !== undefined && value.length > constraints.MaxLength) issues.push(`${where} is longer than ${constraints.MaxLength} characters`)
    if (constraints.MinLength !== undefined && value.length < constraints.MinLength) issues.push(`${where} is shorter than ${constraints.MinLength} characters`)
    if (constraints.Pattern !== undefined && !new RegExp(constraints.Pattern).test(value)) issues.push(`${where} does not match ${String(constraints.Pattern)}`)
  }
  if (typeof value === 'number') {
    if (constraints.InclusiveMaximum !== undefined && value > constraints.InclusiveMaximum) issues.push(`${where} is above ${constraints.InclusiveMaximum}`)
    if (constraints.InclusiveMinimum !== undefined && value < constraints.InclusiveMinimum) issues.push(`${where} is below ${constraints.InclusiveMinimum}`)
    if (constraints.ExclusiveMaximum !== undefined && value >= constraints.ExclusiveMaximum) issues.push(`${where} must be below ${constraints.ExclusiveMaximum}`)
    if (constraints.ExclusiveMinimum !== undefined && value <= constraints.ExclusiveMinimum) issues.push(`${where} must be above ${constraints.ExclusiveMinimum}`)
  }
  if (Array.isArray(value)) {
    if (constraints.MaxItems !== undefined && value.length > constraints.MaxItems) issues.push(`${where} has more than ${constraints.MaxItems} items`)
    if (constraints.MinItems !== undefined && value.length < constraints.MinItems) issues.push(`${where} has fewer than ${constraints.MinItems} items`)
    if (constraints.UniqueItems && new Set(value.map(item => JSON.stringify(item))).size !== value.length) issues.push(`${where} has duplicate items`)
  }
  return issues
}
