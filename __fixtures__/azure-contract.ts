/**
 * The REST contract check for test files that start the Azure stand-in. Call
 * `useAzureContract()` at the top of the file and pass its `onExchange` to
 * `startAzureStandin`: every ARM request the stand-in receives and every answer it sends is
 * checked against the contract the installed @azure/* SDKs carry
 * (scripts/lib/azure-contract/), and the test during which an exchange broke the contract
 * fails in its afterEach, with each violation named. Exchanges after the last test are
 * checked in afterAll.
 *
 * A test that sends something outside the contract on purpose wraps it in
 * `contract.outsideContract(…)`, which returns the violations instead.
 *
 * With AZURE_CONTRACT_REPORT=<file>, each test file appends one JSON line of counts to it.
 */
import { afterAll, afterEach, expect } from '@jest/globals'
import { appendFileSync } from 'node:fs'
import path from 'node:path'
import { loadAzureContract, type AzureContract, type Exchange } from '../scripts/lib/azure-contract/index.mjs'

export interface ContractCheck {
  /** For `startAzureStandin({ onExchange })`. */
  onExchange: (exchange: Exchange) => void
  /** Runs `action`; the violations its exchanges cause are returned instead of failing the test. */
  outsideContract<T>(action: () => Promise<T>): Promise<{ result: T; violations: string[] }>
  /** Checks what has arrived so far and returns the counts. */
  stats(): Promise<AzureContract['stats']>
}

/** One load per test file: the SDKs are read once. */
let loading: Promise<AzureContract> | undefined

export function useAzureContract(): ContractCheck {
  const queue: { exchange: Exchange; window: string[] | undefined }[] = []
  let window: string[] | undefined
  const unreported: string[] = []

  async function drain(): Promise<AzureContract> {
    loading ??= loadAzureContract({ from: path.resolve(import.meta.dirname, '..') })
    const contract = await loading
    for (const { exchange, window: collector } of queue.splice(0)) {
      const { violations } = contract.check(exchange)
      const where = `${exchange.method} ${exchange.path} → ${exchange.status}`
      for (const violation of violations) (collector ?? unreported).push(`${where}: ${violation}`)
    }
    return contract
  }

  async function failOnViolations(): Promise<void> {
    await drain()
    const found = unreported.splice(0)
    if (found.length > 0) {
      throw new Error(`The Azure stand-in saw ${found.length} exchange(s) outside the REST contract of the @azure/* SDKs:\n  ${found.join('\n  ')}`)
    }
  }

  afterEach(failOnViolations)
  afterAll(async () => {
    const contract = await drain()
    const report = process.env.AZURE_CONTRACT_REPORT
    if (report !== undefined && report !== '') {
      const { operations, undocumented, ...counts } = contract.stats
      const line = { file: path.basename(expect.getState().testPath ?? ''), ...counts, operations: Object.fromEntries(operations), undocumented: [...undocumented] }
      appendFileSync(report, `${JSON.stringify(line)}\n`)
    }
    await failOnViolations()
  })

  return {
    onExchange: exchange => {
      queue.push({ exchange, window })
    },
    async outsideContract(action) {
      const collected: string[] = []
      window = collected
      try {
        const result = await action()
        return { result, violations: collected }
      } finally {
        window = undefined
        await drain()
      }
    },
    async stats() {
      return (await drain()).stats
    }
  }
}
