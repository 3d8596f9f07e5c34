/** The README is the user's contract: its tables and examples must match action.yml and the schema. */
import { describe, expect, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { imageEnvironment, parseConfig } from '../src/config.js'

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
const action = parse(readFileSync(new URL('../action.yml', import.meta.url), 'utf8')) as {
  inputs: Record<string, { default?: string }>
  outputs: Record<string, { description: string }>
}

/** Rows of the first table under a `## heading`: the first cell's `name` and the other cells. */
function tableRows(heading: string): Map<string, string[]> {
  const section = readme.split(/^## /m).find(s => s.startsWith(`${heading}\n`))
  if (!section) throw new Error(`README has no "## ${heading}" section`)
  const rows = new Map<string, string[]>()
  for (const line of section.split('\n')) {
    const cells = /^\| `([^`]+)` \|(.*)\|$/.exec(line)
    if (cells) rows.set(cells[1]!, cells[2]!.split(' | ').map(c => c.trim()))
  }
  return rows
}

function codeBlocks(language: string): string[] {
  return [...readme.matchAll(new RegExp('```' + language + '\\n([\\s\\S]*?)```', 'g'))].map(m => m[1]!)
}

describe('README matches action.yml', () => {
  test('inputs: the same names, with the same defaults', () => {
    const rows = tableRows('Inputs')
    expect([...rows.keys()].sort()).toEqual(Object.keys(action.inputs).sort())
    for (const [name, spec] of Object.entries(action.inputs)) {
      expect(`${name}: ${rows.get(name)![0]}`).toBe(`${name}: \`${spec.default === '' || spec.default === undefined ? "''" : spec.default}\``)
    }
  })

  test('outputs: the same names', () => {
    expect([...tableRows('Outputs').keys()].sort()).toEqual(Object.keys(action.outputs).sort())
  })

  test('the quick-start workflow uses only inputs the action has', () => {
    const workflows = codeBlocks('yaml').map(text => parse(text) as { jobs?: Record<string, { steps: { uses?: string; with?: Record<string, string> }[] }> })
    const steps = workflows.flatMap(w => Object.values(w.jobs ?? {}).flatMap(job => job.steps)).filter(step => step.uses?.includes('azure-push-deploy'))
    expect(steps.length).toBeGreaterThan(0)
    for (const step of steps) for (const key of Object.keys(step.with ?? {})) expect(Object.keys(action.inputs)).toContain(key)
  })
})

describe('example configs are valid', () => {
  test('the README config reference parses', () => {
    const configs = codeBlocks('yaml').filter(text => text.includes('environments:'))
    expect(configs).toHaveLength(1)
    const config = parseConfig(configs[0]!, 'README.md')
    expect(Object.keys(config.environments)).toEqual(['dev', 'prod'])
    expect(Object.entries(config.parts).map(([name, part]) => [name, part.kind])).toEqual([
      ['api', 'image'],
      ['worker', 'image'],
      ['web', 'site']
    ])
    expect(imageEnvironment(config.environments.prod!, 'api').targets).toHaveLength(2)
    expect(imageEnvironment(config.environments.prod!, 'api').release?.['run-on']).toBe('container-instance')
  })

  test('examples/estate/.github/azure-deploy.yml parses', () => {
    const text = readFileSync(new URL('../examples/estate/.github/azure-deploy.yml', import.meta.url), 'utf8')
    const config = parseConfig(text, 'examples/estate/.github/azure-deploy.yml')
    expect(Object.keys(config.environments)).toEqual(['dev', 'stage', 'prod'])
    expect(Object.keys(config.parts)).toEqual(['api', 'worker', 'web'])
    expect(imageEnvironment(config.environments.stage!, 'api').targets).toHaveLength(2)
  })
})
