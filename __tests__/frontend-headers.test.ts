/** Content-Type and Cache-Control of the site's blobs: MIME lookup, config rules, defaults, hash detection. */
import { describe, expect, test } from '@jest/globals'
import { cacheControlFor, compileCacheControl, contentTypeFor, hasContentHash, headersFor, IMMUTABLE, NO_CACHE, REVALIDATE, type CacheControlRule } from '../src/frontend/headers.js'

describe('contentTypeFor', () => {
  test.each<[string, string]>([
    ['index.html', 'text/html; charset=utf-8'],
    ['docs/page.htm', 'text/html; charset=utf-8'],
    ['static/js/main.1a2b3c4d.js', 'text/javascript; charset=utf-8'],
    ['assets/index-BqX2k9aZ.mjs', 'text/javascript; charset=utf-8'],
    ['static/css/main.5e6f7a8b.css', 'text/css; charset=utf-8'],
    ['static/js/main.1a2b3c4d.js.map', 'application/json; charset=utf-8'],
    ['asset-manifest.json', 'application/json; charset=utf-8'],
    ['manifest.webmanifest', 'application/manifest+json; charset=utf-8'],
    ['favicon.svg', 'image/svg+xml; charset=utf-8'],
    ['sitemap.xml', 'application/xml; charset=utf-8'],
    ['feed.rss', 'application/rss+xml; charset=utf-8'],
    ['data/places.geojson', 'application/geo+json; charset=utf-8'],
    ['robots.txt', 'text/plain; charset=utf-8'],
    ['static/js/main.1a2b3c4d.js.LICENSE.txt', 'text/plain; charset=utf-8'],
    ['INDEX.HTML', 'text/html; charset=utf-8'],
    ['logo.png', 'image/png'],
    ['photo.JPG', 'image/jpeg'],
    ['hero.avif', 'image/avif'],
    ['hero.webp', 'image/webp'],
    ['favicon.ico', 'image/vnd.microsoft.icon'],
    ['static/media/inter.woff2', 'font/woff2'],
    ['app.wasm', 'application/wasm'],
    ['report.pdf', 'application/pdf'],
    ['README', 'application/octet-stream'],
    ['.well-known/apple-app-site-association', 'application/octet-stream'],
    ['data.unknownext', 'application/octet-stream']
  ])('%s → %s', (file, type) => {
    expect(contentTypeFor(file)).toBe(type)
  })
})

describe('hasContentHash', () => {
  test.each<[string, boolean]>([
    // Bundlers' names
    ['static/js/main.1a2b3c4d.js', true], // Create React App
    ['static/js/787.a1b2c3d4.chunk.js', true],
    ['static/css/main.5e6f7a8b.chunk.css', true],
    ['static/js/main.1a2b3c4d.js.map', true],
    ['static/js/main.1a2b3c4d.js.LICENSE.txt', true],
    ['static/media/logo.6ce24c58023cc2f8fd88fe9d219db6c6.svg', true],
    ['main.3f2a9c1b7e4d5a6f8b9c.js', true], // webpack [name].[contenthash]
    ['3f2a9c1b7e4d5a6f8b9c.js', true], // webpack [contenthash]
    ['index.5d9a4f1e.js', true], // Parcel
    ['assets/index-BqX2k9aZ.js', true], // Vite
    ['assets/index-B_x2-9aZ.css', true], // Vite: base64url holds - and _
    ['assets/vendor.react-Cq7kL0pz.js', true],
    ['assets/logo-BqXkaZzQ.svg', true], // a digit-less Vite hash, in Vite's folder
    ['main-ZBR3S6LX.js', true], // Angular / esbuild
    ['chunk-5XJQ7ZKD.js', true],
    ['app-1a2b3c4d5e6f7a8b9c0d.js', true], // Gatsby
    ['_next/static/chunks/pages/_app-1a2b3c4d5e6f7a8b.js', true], // Next.js
    // Names that are not hashes
    ['index.html', false],
    ['favicon.ico', false],
    ['robots.txt', false],
    ['logo192.png', false],
    ['bootstrap.min.css', false],
    ['jquery-3.7.1.min.js', false],
    ['react.production.min.js', false],
    ['images/my-component-background.png', false],
    ['images/img-feature1.png', false],
    ['photos/IMG_1234.jpg', false],
    ['photos/trip-IMG_1234.jpg', false],
    ['photos/DSC01234.jpg', false],
    ['fonts/roboto-regular.woff2', false],
    ['report-20240101.pdf', false], // digits only: a date
    ['icon-MyButton.svg', false],
    ['assets/icon-MyButton.svg', false], // PascalCase is a name even in Vite's folder
    ['assets/logo-original.png', false],
    ['assets/fonts/Inter-Regular.woff2', false],
    ['styles-ABCDEFGH.css', false], // no digit outside a bundler folder: not sure, so no
    ['deadbeef', false], // no extension: no name part to hold a hash
    ['static/readme', false]
  ])('%s → %s', (file, hashed) => {
    expect(hasContentHash(file)).toBe(hashed)
  })
})

describe('cacheControlFor', () => {
  test.each<[string, string]>([
    // Revalidated on every visit, wherever they are and whatever their name holds
    ['index.html', NO_CACHE],
    ['about/index.html', NO_CACHE],
    ['docs/guide.htm', NO_CACHE],
    ['report.1a2b3c4d.html', NO_CACHE],
    ['service-worker.js', NO_CACHE],
    ['sw.js', NO_CACHE],
    ['app/sw.js', NO_CACHE],
    ['manifest.json', NO_CACHE],
    ['asset-manifest.json', NO_CACHE],
    ['site.webmanifest', NO_CACHE],
    // Hashed assets never change under their name
    ['static/js/main.1a2b3c4d.js', IMMUTABLE],
    ['static/css/main.5e6f7a8b.css', IMMUTABLE],
    ['assets/index-BqX2k9aZ.js', IMMUTABLE],
    ['main-ZBR3S6LX.js', IMMUTABLE],
    // The rest keeps its name across releases
    ['favicon.ico', REVALIDATE],
    ['robots.txt', REVALIDATE],
    ['logo192.png', REVALIDATE],
    ['config.js', REVALIDATE],
    ['.well-known/security.txt', REVALIDATE]
  ])('defaults: %s → %s', (file, value) => {
    expect(cacheControlFor(file, [])).toBe(value)
  })

  const rules: CacheControlRule[] = [
    { match: 'static/**', value: IMMUTABLE },
    { match: ['**/*.html', 'asset-manifest.json'], value: 'no-cache, no-store' },
    { match: ['favicon.svg', 'robots.txt'], value: 'public, max-age=86400' },
    { match: '**/*.pdf', value: 'private, max-age=60' },
    { match: 'docs/**', value: 'public, max-age=600' },
    { match: '.well-known/**', value: 'public, max-age=30' }
  ]
  test.each<[string, string]>([
    ['static/media/logo.png', IMMUTABLE], // the rule, though the name holds no hash
    ['index.html', 'no-cache, no-store'],
    ['about/index.html', 'no-cache, no-store'],
    ['asset-manifest.json', 'no-cache, no-store'],
    ['robots.txt', 'public, max-age=86400'],
    ['nested/robots.txt', REVALIDATE], // globs match the whole path
    ['docs/manual.pdf', 'private, max-age=60'], // the first matching rule wins
    ['docs/intro.txt', 'public, max-age=600'],
    ['.well-known/security.txt', 'public, max-age=30'], // globs see dotfiles
    ['manifest.json', NO_CACHE], // no rule: the defaults
    ['assets/index-BqX2k9aZ.js', IMMUTABLE]
  ])('config rules first: %s → %s', (file, value) => {
    expect(cacheControlFor(file, rules)).toBe(value)
  })

  test('a compiled matcher gives the same answers as cacheControlFor', () => {
    const matcher = compileCacheControl(rules)
    for (const file of ['static/x.js', 'index.html', 'robots.txt', 'docs/a.pdf', 'logo.png']) expect(matcher(file)).toBe(cacheControlFor(file, rules))
  })

  test('headersFor gives both headers', () => {
    expect(headersFor('static/js/main.1a2b3c4d.js', compileCacheControl([]))).toEqual({ contentType: 'text/javascript; charset=utf-8', cacheControl: IMMUTABLE })
    expect(headersFor('index.html', compileCacheControl([]))).toEqual({ contentType: 'text/html; charset=utf-8', cacheControl: NO_CACHE })
  })
})
