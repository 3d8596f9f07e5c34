import { describe, expect, test } from '@jest/globals'
import { readStartRecord } from '../src/backend/platform-verify.js'

const IMAGE = 'cr.example.io/api:bbbbbbbbbbbb'
const OLD = 'cr.example.io/api:aaaaaaaaaaaa'
const SINCE = Date.parse('2026-12-07T10:00:00.000Z')

/** Lines as App Service writes its docker log: `<time>Z <LEVEL> - <text>`. */
const at = (second: number, level: string, text: string) => `2026-12-07T10:00:${String(second).padStart(2, '0')}.000Z ${level.padEnd(5)} - ${text}`

const pulled = (second: number, image = IMAGE) => at(second, 'INFO', `Pulling image: ${image}`)
const ran = (second: number, name: string, image = IMAGE) => at(second, 'INFO', `docker run -d -p 6693:8000 --name ${name} -e WEBSITES_PORT=8000 ${image}`)

describe('readStartRecord: what App Service’s docker log says about the new image', () => {
  test.each<[string, string[], ReturnType<typeof readStartRecord>]>([
    ['nothing yet', [], { state: 'waiting', pulled: false }],
    ['pulled, not started yet', [pulled(1), ran(2, 'api_0_1a2b3c4d')], { state: 'waiting', pulled: true }],
    ['pulled, run, ready', [pulled(1), ran(2, 'api_0_1a2b3c4d'), at(5, 'INFO', 'Container api_0_1a2b3c4d for site api initialized successfully and is ready to serve requests.')], { state: 'started' }],
    [
      'its container does not answer the pings',
      [pulled(1), ran(2, 'api_0_1a2b3c4d'), at(40, 'ERROR', "Container api_0_1a2b3c4d didn't respond to HTTP pings on port: 8000, failing site start. See container logs for debugging.")],
      { state: 'failed', line: at(40, 'ERROR', "Container api_0_1a2b3c4d didn't respond to HTTP pings on port: 8000, failing site start. See container logs for debugging.") }
    ],
    ['the pull is refused', [pulled(1), at(2, 'ERROR', 'Image pull failed: Verify docker image configuration and credentials (if using private repository)')], { state: 'failed', line: at(2, 'ERROR', 'Image pull failed: Verify docker image configuration and credentials (if using private repository)') }],
    [
      'an earlier container’s failure, written after this image was pulled, is not this start’s',
      [pulled(1), ran(2, 'api_0_9f9f9f9f', OLD), pulled(3), ran(4, 'api_0_1a2b3c4d'), at(5, 'ERROR', "Container api_0_9f9f9f9f didn't respond to HTTP pings on port: 8000, failing site start."), at(5, 'INFO', 'Stopping site api because it failed during startup.'), at(9, 'INFO', 'Container api_0_1a2b3c4d for site api initialized successfully and is ready to serve requests.')],
      { state: 'started' }
    ],
    ['another image’s start is not this one’s', [pulled(1, OLD), ran(2, 'api_0_9f9f9f9f', OLD), at(5, 'INFO', 'Container api_0_9f9f9f9f for site api initialized successfully and is ready to serve requests.')], { state: 'waiting', pulled: false }],
    ['lines from before the switch do not count', [`2026-12-07T09:59:00.000Z INFO  - Pulling image: ${IMAGE}`, `2026-12-07T09:59:01.000Z INFO  - docker run -d --name api_0_old ${IMAGE}`, '2026-12-07T09:59:05.000Z INFO  - Container api_0_old for site api initialized successfully and is ready to serve requests.'], { state: 'waiting', pulled: false }]
  ])('%s', (_name, lines, expected) => {
    expect(readStartRecord(lines, IMAGE, SINCE)).toEqual(expected)
  })
})
