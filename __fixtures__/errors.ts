import { expect } from '@jest/globals'

/** Run `work` and return the error it throws, failing the test unless it is an `ErrorClass`. */
export function thrownBy<E extends Error>(ErrorClass: new (...args: never[]) => E, work: () => unknown): E {
  try {
    work()
  } catch (error) {
    expect(error).toBeInstanceOf(ErrorClass)
    return error as E
  }
  throw new Error(`expected a ${ErrorClass.name}, but nothing was thrown`)
}
