/** One line of `git diff --name-status -z --no-renames`: a status letter and a path. */
export interface FileChange {
  status: 'A' | 'C' | 'D' | 'M' | 'R' | 'T' | 'U' | 'X'
  path: string
}

/**
 * Parse NUL-separated name-status output. With `-z` paths are verbatim (spaces, newlines,
 * non-ASCII intact); rename and copy records carry two paths, and both are reported, so a
 * move counts for the part it left and the part it joined.
 */
export function parseNameStatus(output: string): FileChange[] {
  const fields = output.split('\0')
  const changes: FileChange[] = []
  for (let i = 0; i < fields.length; i++) {
    const field = fields[i]
    if (!field) continue
    const letter = field[0] as FileChange['status']
    if (letter === 'R' || letter === 'C') {
      const from = fields[++i]
      const to = fields[++i]
      if (!from || !to) throw new Error(`truncated ${letter} record in git diff output`)
      if (letter === 'R') changes.push({ status: 'D', path: from })
      changes.push({ status: 'A', path: to })
    } else {
      const filePath = fields[++i]
      if (!filePath) throw new Error(`truncated ${letter} record in git diff output`)
      changes.push({ status: letter, path: filePath })
    }
  }
  return changes
}
