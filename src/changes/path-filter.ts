import picomatch from 'picomatch'

export type PathFilter = (filePath: string) => boolean

/**
 * Compile a list of globs into one test. Patterns are read in order and the last one that
 * matches decides, as in .gitignore: `!` really excludes, and a later pattern can bring a
 * file back. A list that starts with `!` starts from "everything", so `['!**\/*.md']` means
 * "any change but Markdown" — not the match-everything trap of OR-ed patterns.
 */
export function compilePathFilter(patterns: readonly string[]): PathFilter {
  if (patterns.length === 0) return () => false
  const rules = patterns.map(pattern => {
    const exclude = pattern.startsWith('!')
    const body = exclude ? pattern.slice(1) : pattern
    // `s`: a file name may hold a newline, and `**` must still cross it.
    return { exclude, test: picomatch(body, { dot: true, flags: 's' }) }
  })
  const startIncluded = rules[0]!.exclude
  return filePath => {
    let included = startIncluded
    for (const rule of rules) {
      if (included === !rule.exclude) continue
      if (rule.test(filePath)) included = !rule.exclude
    }
    return included
  }
}
