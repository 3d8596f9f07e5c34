// A build output shaped like a large React build, for the sync tests and the benchmark:
// pages, hashed JS/CSS/media under static/, and the usual root files. The same options give
// the same bytes and names on every run (a seeded generator, names hashed from content).
import { createHash } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** xorshift32: deterministic and fast enough for tens of megabytes. */
function generator(seed) {
  let state = seed >>> 0 || 0x9e3779b9
  return () => {
    state ^= state << 13
    state >>>= 0
    state ^= state >>> 17
    state ^= state << 5
    state >>>= 0
    return state
  }
}

const TEXT = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ;(){}=+-*/.,\n'

function bytes(next, size, text) {
  const buffer = Buffer.allocUnsafe(size)
  for (let i = 0; i < size; i += 4) {
    const value = next()
    for (let j = 0; j < 4 && i + j < size; j++) {
      const byte = (value >>> (j * 8)) & 0xff
      buffer[i + j] = text ? TEXT.charCodeAt(byte % TEXT.length) : byte
    }
  }
  return buffer
}

const hashOf = content => createHash('md5').update(content).digest('hex').slice(0, 8)

/**
 * The kinds of files, in the share of the count and of the bytes a CRA/Vite build has.
 * `hashed` files get `name.<8 hex>.ext` under their folder.
 */
const KINDS = [
  { folder: 'static/js', ext: 'js', text: true, countShare: 0.3, byteShare: 0.45 },
  { folder: 'static/js', ext: 'js.map', text: true, countShare: 0.1, byteShare: 0.2 },
  { folder: 'static/css', ext: 'css', text: true, countShare: 0.1, byteShare: 0.05 },
  { folder: 'static/media', ext: 'png', text: false, countShare: 0.25, byteShare: 0.18 },
  { folder: 'static/media', ext: 'svg', text: true, countShare: 0.15, byteShare: 0.02 },
  { folder: 'static/media', ext: 'woff2', text: false, countShare: 0.05, byteShare: 0.06 },
  { folder: 'docs', ext: 'html', text: true, countShare: 0.05, byteShare: 0.04 }
]

const ROOT_FILES = ['favicon.ico', 'robots.txt', 'manifest.json', 'service-worker.js', 'asset-manifest.json', '404.html', 'index.html']

/**
 * Write a site of `files` files and `totalBytes` bytes into `dir`.
 * @returns {{ path: string, size: number }[]} every file written, by path
 */
export function generateSite(dir, { files = 2000, totalBytes = 29e6, seed = 1 } = {}) {
  const next = generator(seed)
  const written = []
  const write = (relative, content) => {
    const absolute = path.join(dir, ...relative.split('/'))
    mkdirSync(path.dirname(absolute), { recursive: true })
    writeFileSync(absolute, content)
    written.push({ path: relative, size: content.length })
  }

  const generatedCount = files - ROOT_FILES.length
  const counts = KINDS.map(kind => Math.floor(generatedCount * kind.countShare))
  counts[0] += generatedCount - counts.reduce((sum, count) => sum + count, 0)
  const rootBytes = 64 * 1024
  const assetNames = []
  let bytesLeft = Math.max(0, Math.floor(totalBytes) - rootBytes)
  KINDS.forEach((kind, kindIndex) => {
    const count = counts[kindIndex]
    if (count === 0) return
    // Skewed sizes inside a kind: a few large bundles, many small chunks.
    const weights = Array.from({ length: count }, () => 1 + ((next() % 1000) / 1000) ** 4 * 40)
    const weightSum = weights.reduce((sum, weight) => sum + weight, 0)
    const kindBytes = kindIndex === KINDS.length - 1 ? bytesLeft : Math.floor((Math.floor(totalBytes) - rootBytes) * kind.byteShare)
    bytesLeft -= kindBytes
    let kindLeft = kindBytes
    weights.forEach((weight, index) => {
      const size = index === count - 1 ? Math.max(1, kindLeft) : Math.max(1, Math.floor((kindBytes * weight) / weightSum))
      kindLeft -= size
      const content = bytes(next, size, kind.text)
      if (kind.ext === 'html') {
        write(`${kind.folder}/page-${index}.html`, content)
      } else {
        const name = `${kind.folder}/chunk-${index}.${hashOf(content)}.${kind.ext}`
        write(name, content)
        assetNames.push(name)
      }
    })
  })

  const perRoot = Math.floor(rootBytes / ROOT_FILES.length)
  for (const name of ROOT_FILES) {
    if (name.endsWith('.html')) {
      const scripts = assetNames.filter(asset => asset.endsWith('.js')).slice(0, 3)
      const styles = assetNames.filter(asset => asset.endsWith('.css')).slice(0, 1)
      const head = `<!doctype html><html><head><meta charset="utf-8"><title>${name}</title>${styles.map(css => `<link rel="stylesheet" href="/${css}">`).join('')}</head><body><div id="root"></div>${scripts.map(js => `<script src="/${js}"></script>`).join('')}`
      write(name, Buffer.concat([Buffer.from(head), bytes(next, Math.max(0, perRoot - head.length - 14), true), Buffer.from('</body></html>')]))
    } else if (name === 'asset-manifest.json' || name === 'manifest.json') {
      write(name, Buffer.from(JSON.stringify({ name, files: assetNames.slice(0, 50) }, null, 2)))
    } else {
      write(name, bytes(next, perRoot, name !== 'favicon.ico'))
    }
  }
  return written.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}
