import { charset, lookup } from 'mime-types'
import picomatch from 'picomatch'

/** The headers a blob of the site is served with. */
export interface BlobHeaders {
  contentType: string
  cacheControl: string
}

/** A `cache-control` rule from the config: the first whose glob matches the file's path wins. */
export interface CacheControlRule {
  match: string | readonly string[]
  value: string
}

export const NO_CACHE = 'no-cache'
export const IMMUTABLE = 'public, max-age=31536000, immutable'
/**
 * Files that keep their name across releases (favicon, robots.txt, images in `public/`): the
 * edge is purged when they change, a browser cache cannot be, so browsers keep them 5 minutes
 * (about as long as a purge takes to reach every edge) and then revalidate — a 304 is cheap.
 */
export const REVALIDATE = 'public, max-age=300, must-revalidate'

/** Types served as text that mime-db gives no charset (it does for text/*, JSON and JavaScript). */
const TEXT_TYPES = new Set(['application/javascript', 'application/ecmascript', 'application/xml', 'image/svg+xml'])

/** Content-Type by extension, with `charset=utf-8` for text; unknown extensions are bytes. */
export function contentTypeFor(filePath: string): string {
  const type = lookup(filePath)
  if (!type) return 'application/octet-stream'
  const isText = charset(type) === 'UTF-8' || TEXT_TYPES.has(type) || type.endsWith('+xml') || type.endsWith('+json')
  return isText ? `${type}; charset=utf-8` : type
}

/**
 * Names that must be revalidated on every visit whatever their path: the pages themselves,
 * the service worker (a stale one keeps serving the old release) and the manifests that
 * name the hashed assets.
 */
const ALWAYS_REVALIDATED = picomatch(['**/*.html', '**/*.htm', '**/service-worker.js', '**/sw.js', '**/manifest.json', '**/asset-manifest.json', '**/*.webmanifest'], {
  dot: true,
  flags: 's'
})

/** The folders bundlers put their hashed output in: CRA `static/`, Vite `assets/`, Next `_next/static/`. */
const BUNDLER_FOLDER = /(?:^|\/)(?:static|assets)\//

const HEX_HASH = /^[0-9a-f]{8,}$/
/** Rollup/Vite (base64url) and esbuild/Angular (base32) hashes are 8 characters long. */
const SHORT_HASH = /^[A-Za-z0-9_-]{8}$/
/** A word with a number (`feature1`, `IMG_1234`, `2024logo`): a name, not a hash. */
const WORD_AND_NUMBER = /^(?:[A-Za-z]+[-_]?\d+|\d+[-_]?[A-Za-z]+)$/
/** lower, UPPER, camelCase or PascalCase words. */
const WORDS = /^(?:[a-z]+|[A-Z]+|[A-Z]?[a-z]+(?:[A-Z][a-z]+)*)$/

/**
 * Does the file name carry a content hash, so that new content always gets a new name?
 * Bundlers put it between dots (`main.1a2b3c4d.chunk.js`, webpack, CRA, Parcel) or after
 * the last dash of the name (`index-BqX2k9aZ.js` Vite, `main-ZBR3S6LX.js` esbuild,
 * `app-<20 hex>.js` Gatsby). A wrong "yes" would pin stale content in browsers for a year,
 * a wrong "no" costs a revalidation: so outside the bundlers' folders a hash must mix
 * letters and digits, and inside them only plain words are taken for names.
 */
export function hasContentHash(filePath: string): boolean {
  const fileName = filePath.slice(filePath.lastIndexOf('/') + 1)
  const inBundlerFolder = BUNDLER_FOLDER.test(filePath)
  const segments = fileName.split('.').slice(0, -1)
  return segments.some((segment, index) => hashCandidates(segment, index > 0).some(candidate => looksLikeHash(candidate, inBundlerFolder)))
}

/** The parts of one dot-separated segment of a file name that may be a hash. */
function hashCandidates(segment: string, betweenDots: boolean): string[] {
  const candidates: string[] = []
  // The whole name only when it is plain hex (webpack `[contenthash].js`): `IMG_1234.jpg` is not.
  if (betweenDots || HEX_HASH.test(segment)) candidates.push(segment)
  const hexTail = /[-_]([0-9a-f]{8,})$/.exec(segment)
  if (hexTail) candidates.push(hexTail[1]!)
  // A short hash may itself hold `-` or `_`: it is the last 8 characters after a separator.
  if (/[-_]/.test(segment.at(-9) ?? '')) candidates.push(segment.slice(-8))
  return candidates
}

function looksLikeHash(token: string, inBundlerFolder: boolean): boolean {
  const hasDigit = /\d/.test(token)
  const hasLetter = /[A-Za-z]/.test(token)
  if (HEX_HASH.test(token)) return hasDigit && hasLetter
  if (!SHORT_HASH.test(token) || WORD_AND_NUMBER.test(token)) return false
  if (hasDigit && hasLetter) return true
  return inBundlerFolder && !WORDS.test(token)
}

export type CacheControlMatcher = (filePath: string) => string

/**
 * Cache-Control by the config's rules (first match wins; globs match the whole path from the
 * output folder, with dotfiles), then the defaults: revalidate pages, service workers and
 * manifests on every visit; hashed assets forever; anything else briefly (see REVALIDATE).
 */
export function compileCacheControl(rules: readonly CacheControlRule[]): CacheControlMatcher {
  const compiled = rules.map(rule => ({ test: picomatch(typeof rule.match === 'string' ? rule.match : [...rule.match], { dot: true, flags: 's' }), value: rule.value }))
  return filePath => {
    for (const rule of compiled) if (rule.test(filePath)) return rule.value
    if (ALWAYS_REVALIDATED(filePath)) return NO_CACHE
    if (hasContentHash(filePath)) return IMMUTABLE
    return REVALIDATE
  }
}

/** One file's Cache-Control; compile once with `compileCacheControl` for many files. */
export function cacheControlFor(filePath: string, rules: readonly CacheControlRule[]): string {
  return compileCacheControl(rules)(filePath)
}

/** Both headers of one file of the site. */
export function headersFor(filePath: string, cacheControl: CacheControlMatcher): BlobHeaders {
  return { contentType: contentTypeFor(filePath), cacheControl: cacheControl(filePath) }
}
