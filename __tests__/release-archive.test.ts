/**
 * The release archive: the same files give the same zip bytes — across runs, time zones,
 * file times and modes, and whether its entries were written or reused from the previous
 * release — and the zip, read back by other readers (Python's zipfile, and Info-ZIP's unzip
 * where installed), holds every file with its content, in path order, with the fixed date and
 * mode and no extra fields; formats that are compressed already are stored, not deflated.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals'
import { execFile } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { chmod, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createReleaseArchive, ENTRY_MODE, readArchiveDirectory, type ArchiveEntry, type PreviousArchive } from '../src/frontend/archive.js'
import { listSiteFiles, type SiteFile } from '../src/frontend/site-files.js'

const run = promisify(execFile)

/** What Python's zipfile reads from a zip: entries in stored order, with metadata and content. */
interface ZipEntry {
  name: string
  date: number[]
  mode: number
  extra: number
  method: number
  size: number
  compressed: number
  sha256: string
}

const READ_ZIP = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    print(json.dumps([{"name": i.filename, "date": list(i.date_time), "mode": i.external_attr >> 16, "extra": len(i.extra),
                       "method": i.compress_type, "size": i.file_size, "compressed": i.compress_size,
                       "sha256": hashlib.sha256(z.read(i)).hexdigest()} for i in z.infolist()]))
`

async function readZip(zipFile: string): Promise<ZipEntry[]> {
  const { stdout } = await run('python3', ['-c', READ_ZIP, zipFile])
  return JSON.parse(stdout) as ZipEntry[]
}

const unzipInstalled = await run('unzip', ['-v']).then(
  () => true,
  () => false
)

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex')

const SITE: Record<string, string | Buffer> = {
  'index.html': '<!doctype html><title>Tidepool</title>',
  'asset-manifest.json': '{"files":{}}\n',
  'static/js/main.1a2b3c4d.js': 'console.log("tidepool")\n'.repeat(500),
  'static/css/main.5e6f7a8b.css': 'body{margin:0}\n',
  'static/media/photo.bin': randomBytes(300_000),
  'static/media/logo.png': 'not really a PNG, and very compressible '.repeat(200),
  'static/media/ünïcode name.txt': 'non-ASCII name\n',
  '.well-known/security.txt': 'Contact: mailto:security@example.com\n',
  'empty.txt': '',
  'B.txt': 'capital B sorts before a\n',
  'a/b.txt': 'nested\n'
}

let scratch: string
let site: string
let files: SiteFile[]
let zips = 0
const zipPath = () => join(scratch, `release-${++zips}.zip`)

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'apd-release-archive-'))
  site = join(scratch, 'build')
  for (const [name, content] of Object.entries(SITE)) {
    await mkdir(join(site, name, '..'), { recursive: true })
    await writeFile(join(site, name), content)
  }
  files = await listSiteFiles(site)
})
afterAll(async () => {
  await rm(scratch, { recursive: true, force: true })
})

const CHILD_LOADER = new URL('../__fixtures__/typescript-child.mjs', import.meta.url).href
const ZIP_IN_CHILD = `
import { createReleaseArchive } from './src/frontend/archive.ts'
import { listSiteFiles } from './src/frontend/site-files.ts'
const [site, destination] = process.argv.slice(1)
const archive = await createReleaseArchive(site, await listSiteFiles(site), destination)
console.log(JSON.stringify({ timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone, offset: new Date('1980-01-01T00:00:00Z').getTimezoneOffset(), archive }))
`

/** Zip in a child process whose time zone is `TZ` (a test cannot change its own). */
async function zipInTimeZone(timeZone: string): Promise<{ offset: number; bytes: Buffer }> {
  const destination = zipPath()
  const { stdout } = await run(process.execPath, ['--experimental-transform-types', '--no-warnings', '--import', CHILD_LOADER, '--input-type=module', '-e', ZIP_IN_CHILD, site, destination], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env: { ...process.env, TZ: timeZone, NODE_OPTIONS: '' }
  })
  const child = JSON.parse(stdout) as { timeZone: string; offset: number; archive: { path: string } }
  expect(child.timeZone).toBe(timeZone)
  return { offset: child.offset, bytes: await readFile(child.archive.path) }
}

describe('createReleaseArchive', () => {
  test('reports the path, size and SHA-256 of what it wrote', async () => {
    const destination = zipPath()
    const archive = await createReleaseArchive(site, files, destination)
    const bytes = await readFile(destination)
    expect(archive).toEqual({ path: destination, bytes: bytes.length, sha256: sha256(bytes), entries: files.length, reused: 0 })
  })

  test('holds every file with its content, in path order, with the fixed date and mode and no extra fields', async () => {
    const archive = await createReleaseArchive(site, files, zipPath())
    const entries = await readZip(archive.path)
    const names = Object.keys(SITE).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    expect(entries.map(entry => entry.name)).toEqual(names)
    expect(names.slice(0, 3)).toEqual(['.well-known/security.txt', 'B.txt', 'a/b.txt'])
    for (const entry of entries) {
      expect(entry).toEqual({ ...entry, date: [1980, 1, 1, 0, 0, 0], mode: 0o100000 | ENTRY_MODE, extra: 0, size: Buffer.byteLength(SITE[entry.name]!), sha256: sha256(SITE[entry.name]!) })
      // Deflated only where that saves bytes; stored (0) otherwise.
      if (entry.method === 8) expect(entry.compressed).toBeLessThan(entry.size)
      else expect([entry.name, entry.method, entry.compressed]).toEqual([entry.name, 0, entry.size])
    }
    const byName = new Map(entries.map(entry => [entry.name, entry]))
    // Text shrinks; random bytes do not, and a PNG is stored whatever it holds (its format is compressed already).
    expect(byName.get('static/js/main.1a2b3c4d.js')).toMatchObject({ method: 8 })
    expect(byName.get('static/js/main.1a2b3c4d.js')!.compressed).toBeLessThan(byName.get('static/js/main.1a2b3c4d.js')!.size / 10)
    expect(byName.get('static/media/photo.bin')).toMatchObject({ method: 0 })
    expect(byName.get('static/media/logo.png')).toMatchObject({ method: 0 })
  })

  test('the same files give the same bytes: twice in a row, and in time zones 17 hours apart', async () => {
    const first = await readFile((await createReleaseArchive(site, files, zipPath())).path)
    const again = await readFile((await createReleaseArchive(site, files, zipPath())).path)
    expect(again.equals(first)).toBe(true)
    const tokyo = await zipInTimeZone('Asia/Tokyo')
    const losAngeles = await zipInTimeZone('America/Los_Angeles')
    // On the entries' date local time is the 1st, 09:00 in Tokyo and still 1979 in Los Angeles.
    expect([tokyo.offset, losAngeles.offset]).toEqual([-540, 480])
    expect(tokyo.bytes.equals(first)).toBe(true)
    expect(losAngeles.bytes.equals(first)).toBe(true)
  })

  test('the same files give the same bytes after their times and modes change, and in any listed order', async () => {
    const before = await createReleaseArchive(site, files, zipPath())
    for (const file of files) await utimes(file.absolute, new Date('2031-07-04T12:34:56Z'), new Date('2031-07-04T12:34:56Z'))
    await chmod(join(site, 'index.html'), 0o755)
    const after = await createReleaseArchive(site, [...files].reverse(), zipPath())
    expect(after.sha256).toBe(before.sha256)
    expect(after.bytes).toBe(before.bytes)
    await chmod(join(site, 'index.html'), 0o644)
  })

  test('different content gives a different zip', async () => {
    const other = join(scratch, 'other-build')
    await mkdir(other, { recursive: true })
    await writeFile(join(other, 'index.html'), '<!doctype html><title>Tidepool v2</title>')
    const changed = await createReleaseArchive(other, await listSiteFiles(other), zipPath())
    const original = await createReleaseArchive(site, files, zipPath())
    expect(changed.sha256).not.toBe(original.sha256)
  })

  test('a file that vanished before it was zipped fails the archive and leaves no partial zip', async () => {
    const destination = zipPath()
    const missing: SiteFile = { path: 'static/js/gone.js', absolute: join(site, 'static/js/gone.js'), size: 1, md5: '' }
    const error = await createReleaseArchive(site, [...files, missing], destination).catch((thrown: unknown) => thrown)
    expect(error).toBeInstanceOf(Error)
    expect((error as Error).message).toMatch(/^Could not write the release archive of .+ to .+: ENOENT/)
    await expect(readFile(destination)).rejects.toThrow(/ENOENT/)
  })

  test('no files give an empty, valid zip', async () => {
    const archive = await createReleaseArchive(site, [], zipPath())
    expect(await readZip(archive.path)).toEqual([])
    expect(archive.bytes).toBe(22) // just the end-of-central-directory record
  })

  ;(unzipInstalled ? test : test.skip)('Info-ZIP unzip tests the zip clean and lists and extracts every file', async () => {
    const archive = await createReleaseArchive(site, files, zipPath())
    const { stdout: tested } = await run('unzip', ['-t', archive.path])
    expect(tested).toContain('No errors detected')
    const { stdout: listed } = await run('unzip', ['-Z1', archive.path])
    expect(listed.trim().split('\n')).toEqual(files.map(file => file.path))
    const { stdout: page } = await run('unzip', ['-p', archive.path, 'index.html'])
    expect(page).toBe(SITE['index.html'])
  })
})

/** The release after `site`: one file changed, one added, one removed, the rest as they were. */
async function nextRelease(): Promise<{ dir: string; files: SiteFile[] }> {
  const dir = join(scratch, `next-${++zips}`)
  for (const [name, content] of Object.entries(SITE)) {
    if (name === 'B.txt') continue
    await mkdir(join(dir, name, '..'), { recursive: true })
    await writeFile(join(dir, name), name === 'static/js/main.1a2b3c4d.js' ? 'console.log("tidepool, second release")\n'.repeat(500) : content)
  }
  await writeFile(join(dir, 'static/js/new.9f8e7d6c.js'), 'export const added = true\n')
  return { dir, files: await listSiteFiles(dir) }
}

/** What a deploy knows of the previous release: its zip's directory, and its files' MD5s from the manifest. */
async function previousOf(zipFile: string, released: SiteFile[]): Promise<PreviousArchive & { file: string }> {
  const bytes = await readFile(zipFile)
  const directory = readArchiveDirectory(bytes, bytes.length)
  if (!directory || 'needBytes' in directory) throw new Error('not a directory this module reads')
  return { file: zipFile, entries: new Map(directory.entries.map(entry => [entry.name, entry])), md5s: new Map(released.map(file => [file.path, file.md5])) }
}

describe('a release that reuses the previous one', () => {
  test('copies the unchanged entries and writes the rest: byte for byte the zip written whole', async () => {
    const first = await createReleaseArchive(site, files, zipPath())
    const next = await nextRelease()
    const whole = await createReleaseArchive(next.dir, next.files, zipPath())
    const reusing = await createReleaseArchive(next.dir, next.files, zipPath(), { previous: await previousOf(first.path, files) })
    // 10 files in both; main.js changed, new.js added, B.txt gone.
    expect([whole.entries, whole.reused, reusing.entries, reusing.reused]).toEqual([11, 0, 11, 9])
    expect(reusing.sha256).toBe(whole.sha256)
    expect((await readFile(reusing.path)).equals(await readFile(whole.path))).toBe(true)
    const entries = await readZip(reusing.path)
    expect(entries.find(entry => entry.name === 'static/js/main.1a2b3c4d.js')?.sha256).toBe(sha256('console.log("tidepool, second release")\n'.repeat(500)))
  })

  test('reuses an entry only when its path, MD5, size and CRC-32 all match', async () => {
    const first = await createReleaseArchive(site, files, zipPath())
    const next = await nextRelease()
    const previous = await previousOf(first.path, files)
    // The manifest says index.html had other content: not reused. A directory entry whose CRC differs: not reused either.
    const md5s = new Map(previous.md5s).set('index.html', 'AAAAAAAAAAAAAAAAAAAAAA==')
    const entries = new Map(previous.entries)
    entries.set('empty.txt', { ...entries.get('empty.txt')!, crc32: 1 } satisfies ArchiveEntry)
    const whole = await createReleaseArchive(next.dir, next.files, zipPath())
    const reusing = await createReleaseArchive(next.dir, next.files, zipPath(), { previous: { ...previous, md5s, entries } })
    expect(reusing.reused).toBe(7)
    expect(reusing.sha256).toBe(whole.sha256)
  })

  test('the directory of a zip another tool wrote is not reused; a tail too short asks for more', async () => {
    const other = zipPath()
    await run('python3', ['-c', 'import sys, zipfile\nwith zipfile.ZipFile(sys.argv[1], "w") as z: z.writestr("index.html", "<p>hi</p>")', other])
    const bytes = await readFile(other)
    expect(readArchiveDirectory(bytes, bytes.length)).toBeUndefined()
    const ours = await readFile((await createReleaseArchive(site, files, zipPath())).path)
    const directory = readArchiveDirectory(ours, ours.length)
    expect(directory && 'entries' in directory && directory.entries.map(entry => entry.name)).toEqual(files.map(file => file.path))
    const needed = readArchiveDirectory(ours.subarray(ours.length - 100), ours.length)
    expect(needed && 'needBytes' in needed && needed.needBytes).toBeGreaterThan(100)
    const again = readArchiveDirectory(ours.subarray(ours.length - (needed as { needBytes: number }).needBytes), ours.length)
    expect(again).toEqual(directory)
  })

  test('70,000 files: a Zip64 directory that Python reads, and that a new release reuses', async () => {
    const many: SiteFile[] = Array.from({ length: 70_000 }, (_, i) => ({ path: `img/${String(i).padStart(5, '0')}.png`, absolute: '/nonexistent', size: 5, md5: `md5-${i}` }))
    const contents = { read: async (file: SiteFile) => Buffer.from(file.path.slice(4, 9)) }
    const archive = await createReleaseArchive('generated', many, zipPath(), { contents })
    const { stdout } = await run('python3', ['-c', 'import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(len(z.infolist()), z.read("img/69999.png").decode())', archive.path])
    expect(stdout.trim()).toBe('70000 69999')
    const previous = await previousOf(archive.path, many)
    const again = await createReleaseArchive('generated', many, zipPath(), { contents, previous })
    expect([again.reused, again.sha256]).toEqual([70_000, archive.sha256])
  }, 60_000)
})
