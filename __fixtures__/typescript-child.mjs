// `node --experimental-transform-types --import <this file>` runs the repo's TypeScript in a
// child process (for what a test cannot change in its own, such as the time zone): imports of
// `./x.js` resolve to the `./x.ts` source, as ts-jest maps them.
import { register } from 'node:module'

const hooks = `
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context)
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !/^\\.{1,2}\\/.*\\.js$/.test(specifier)) throw error
    return next(specifier.slice(0, -'.js'.length) + '.ts', context)
  }
}
`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
