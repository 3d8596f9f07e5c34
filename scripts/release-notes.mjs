#!/usr/bin/env node
// Prints the CHANGELOG.md section of one release, for the release workflow's notes:
//   node scripts/release-notes.mjs <X.Y.Z> [changelog path]
// Exits 2 on a malformed version and 1 when the changelog has no dated section for it, so a
// release is never tagged without its notes.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/** A release version: X.Y.Z, no leading zeros, no pre-release or build suffix, no `v`. */
export const VERSION_PATTERN = /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$/

export class ReleaseNotesError extends Error {
  /** @param {string} message @param {number} exitCode */
  constructor(message, exitCode) {
    super(message)
    this.exitCode = exitCode
  }
}

const escapeRegExp = (/** @type {string} */ text) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * The body of `## [<version>] - YYYY-MM-DD` in a Keep a Changelog file, without its heading and
 * without the link definitions (`[1.0.0]: https://…`) that close the file.
 * @param {string} changelog
 * @param {string} version
 * @returns {string}
 */
export function releaseNotes(changelog, version) {
  if (!VERSION_PATTERN.test(version)) {
    throw new ReleaseNotesError(`${JSON.stringify(version)} is not a release version: use X.Y.Z (for example 1.2.0), without a "v" or a suffix.`, 2)
  }
  const lines = changelog.replace(/\r\n?/g, '\n').split('\n')
  const heading = new RegExp(`^## \\[${escapeRegExp(version)}\\](.*)$`)
  const start = lines.findIndex(line => heading.test(line))
  if (start < 0) {
    throw new ReleaseNotesError(
      `CHANGELOG.md has no "## [${version}] - YYYY-MM-DD" section. Rename "## [Unreleased]" to "## [${version}] - <today's date>", ` +
        'add a new empty "## [Unreleased]" above it, commit, and run the release again.',
      1
    )
  }
  if (!/^ - \d{4}-\d{2}-\d{2}\s*$/.test(heading.exec(lines[start])[1])) {
    throw new ReleaseNotesError(`CHANGELOG.md line ${start + 1}: write the release date after the version: "## [${version}] - YYYY-MM-DD".`, 1)
  }
  const rest = lines.slice(start + 1)
  const end = rest.findIndex(line => line.startsWith('## ') || /^\[[^\]]+\]:\s/.test(line))
  const body = (end < 0 ? rest : rest.slice(0, end)).join('\n').trim()
  if (!body) throw new ReleaseNotesError(`CHANGELOG.md line ${start + 1}: the [${version}] section is empty; list what the release changes.`, 1)
  return `${body}\n`
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [version = '', changelogPath = fileURLToPath(new URL('../CHANGELOG.md', import.meta.url))] = process.argv.slice(2)
  try {
    process.stdout.write(releaseNotes(readFileSync(changelogPath, 'utf8'), version))
  } catch (error) {
    if (!(error instanceof ReleaseNotesError)) throw error
    process.stderr.write(`release-notes: ${error.message}\n`)
    process.exitCode = error.exitCode
  }
}
