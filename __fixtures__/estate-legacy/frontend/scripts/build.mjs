// `npm run build` for the Tidepool site stand-in: no dependencies, no network.
//
// It stands in for `react-scripts build` (or Vite) and writes the same output SHAPE, which
// is what a deploy of the site depends on:
//
//   build/index.html                  references the hashed assets; changes on every release
//   build/asset-manifest.json         as react-scripts writes it
//   build/static/js/main.<hash>.js    content-hashed: a new name whenever the code changes
//   build/static/css/main.<hash>.css  content-hashed: a new name whenever the styles change
//   build/<everything else in public/>
//
// It is not a JSX compiler: the script it emits renders a placeholder page (the site's
// name, the API it was built for and that API's /healthz version) instead of the React
// tree in src/. Its content, and so its hashed name, is derived from every file in src/
// and from the REACT_APP_* variables inlined at build time (as react-scripts does), so
// editing src/ or building for another environment gives new file names, as a real build
// does. The output is deterministic: the same sources and variables give the same bytes.
import { createHash } from 'node:crypto'
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const src = path.join(root, 'src')
const pub = path.join(root, 'public')
const out = path.join(root, 'build')

const hash = content => createHash('sha256').update(content).digest('hex').slice(0, 8)

function listFiles(dir, base = dir) {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap(entry => (entry.isDirectory() ? listFiles(path.join(dir, entry.name), base) : [path.relative(base, path.join(dir, entry.name)).split(path.sep).join('/')]))
    .sort()
}

// Like react-scripts: only REACT_APP_* (plus NODE_ENV and PUBLIC_URL) reach the bundle.
const publicUrl = (process.env.PUBLIC_URL ?? '').replace(/\/$/, '')
const env = { NODE_ENV: 'production', PUBLIC_URL: publicUrl }
for (const name of Object.keys(process.env).sort()) if (name.startsWith('REACT_APP_')) env[name] = process.env[name]

const sourceFiles = listFiles(src)
const modules = sourceFiles.filter(f => /\.(jsx?|tsx?)$/.test(f))
const styles = sourceFiles.filter(f => f.endsWith('.css'))
const sourceDigest = createHash('sha256')
for (const file of modules) sourceDigest.update(`${file}\0${readFileSync(path.join(src, file))}\0`)

const css = styles.map(file => `/* ${file} */\n${readFileSync(path.join(src, file), 'utf8').trim()}\n`).join('\n')

const js = `/*! tidepool-web stand-in bundle (see scripts/build.mjs): ${modules.join(', ')} @ ${sourceDigest.digest('hex').slice(0, 12)} */
(() => {
  const env = ${JSON.stringify(env)};
  const root = document.getElementById('root');
  const main = document.createElement('main');
  main.className = 'app';
  const title = document.createElement('h1');
  title.textContent = 'Tidepool';
  const tagline = document.createElement('p');
  tagline.className = 'tagline';
  tagline.textContent = 'Stand-in build: the React app in src/ is not compiled here.';
  const footer = document.createElement('footer');
  footer.textContent = 'API ' + (env.REACT_APP_API_URL || '(REACT_APP_API_URL not set at build time)') + ': …';
  main.append(title, tagline, footer);
  root.replaceChildren(main);
  if (!env.REACT_APP_API_URL) return;
  fetch(env.REACT_APP_API_URL + '/healthz')
    .then(response => response.json())
    .then(health => { footer.textContent = 'API ' + env.REACT_APP_API_URL + ': version ' + health.version; })
    .catch(() => { footer.textContent = 'API ' + env.REACT_APP_API_URL + ': unreachable'; });
})();
`

const jsName = `static/js/main.${hash(js)}.js`
const cssName = `static/css/main.${hash(css)}.css`

const template = readFileSync(path.join(pub, 'index.html'), 'utf8').replaceAll('%PUBLIC_URL%', publicUrl)
if (!template.includes('</head>')) throw new Error('public/index.html has no </head> to put the asset tags before')
const html = template.replace('</head>', `  <script defer="defer" src="${publicUrl}/${jsName}"></script>\n    <link href="${publicUrl}/${cssName}" rel="stylesheet" />\n  </head>`)

const manifest = {
  files: { 'main.css': `${publicUrl}/${cssName}`, 'main.js': `${publicUrl}/${jsName}`, 'index.html': `${publicUrl}/index.html` },
  entrypoints: [cssName, jsName]
}

rmSync(out, { recursive: true, force: true })
mkdirSync(out, { recursive: true })
cpSync(pub, out, { recursive: true, filter: from => path.relative(pub, from) !== 'index.html' })
const written = {
  [jsName]: js,
  [cssName]: css,
  'asset-manifest.json': `${JSON.stringify(manifest, null, 2)}\n`,
  'index.html': html
}
for (const [name, content] of Object.entries(written)) {
  mkdirSync(path.dirname(path.join(out, name)), { recursive: true })
  writeFileSync(path.join(out, name), content)
}

const inlined = Object.keys(env).filter(name => name.startsWith('REACT_APP_'))
console.log(`Built tidepool-web (stand-in for react-scripts build) into ${path.relative(process.cwd(), out) || '.'}/`)
console.log(`Inlined: ${inlined.length ? inlined.map(name => `${name}=${env[name]}`).join(', ') : 'no REACT_APP_* variables'}`)
console.log('File sizes after gzip:')
for (const name of listFiles(out)) {
  const size = gzipSync(readFileSync(path.join(out, name))).length
  console.log(`  ${`${(size / 1024).toFixed(2)} kB`.padStart(9)}  build/${name}`)
}
