/**
 * The docker log an App Service worker writes under /home/LogFiles, which Kudu serves: the
 * platform's own file `YYYY_MM_DD_<machine>_docker.log` (pulls, `docker run`, warm-up, start
 * results) and `YYYY_MM_DD_<machine>_default_docker.log` (the container's stdout/stderr).
 * Platform lines are `<UTC time with milliseconds>Z <LEVEL> - <text>` (INFO and WARN padded to
 * five characters), worded as App Service words them, e.g.:
 *
 *   2023-09-28T12:27:30.909Z INFO  - Pulling image: reg.azurecr.io/app:v1
 *   2023-09-28T12:27:31.201Z INFO  -  Digest: sha256:1b7c…
 *   2023-09-28T12:27:31.282Z INFO  - Pull Image successful, Time taken: 0 Minutes and 1 Seconds
 *   2023-09-28T12:27:33.104Z INFO  - Starting container for site
 *   2023-09-28T12:27:33.104Z INFO  - docker run -d -p 6693:3000 --name app_0_5b07493a -e WEBSITES_PORT=3000 … reg.azurecr.io/app:v1
 *   2023-09-28T12:27:36.389Z INFO  - Initiating warmup request to container app_0_5b07493a for site app
 *   2023-09-28T12:27:37.414Z INFO  - Container app_0_5b07493a for site app initialized successfully and is ready to serve requests.
 *   2023-03-07T03:19:10.099Z ERROR - Container app_0_e642bb9a for site app did not start within expected time limit. Elapsed time = 230.1068051 sec
 *   2023-03-07T03:19:10.206Z ERROR - Container app_0_e642bb9a didn't respond to HTTP pings on port: 8080, failing site start. See container logs for debugging.
 *   2023-03-07T03:19:10.240Z INFO  - Stopping site app because it failed during startup.
 *   2022-05-26T13:06:08.262Z WARN  - Image pull failed. Defaulting to local copy if present.
 *   2022-05-26T13:06:08.271Z ERROR - Image pull failed: Verify docker image configuration and credentials (if using private repository)
 *
 * (captured logs published in MicrosoftDocs/azure-docs tutorials, azureossd.github.io posts and
 * issue threads; the file names and listing follow KuduLite's DiagnosticsController.)
 */
import { randomBytes } from 'node:crypto'

/** @typedef {'INFO' | 'WARN' | 'ERROR'} Level */

/** A worker's machine name as Kudu lists it, e.g. `RD0050F221F9BC`. */
function machineName() {
  return `RD${randomBytes(6).toString('hex').toUpperCase()}`
}

export function createDockerLog() {
  const machine = machineName()
  const createdAt = new Date()
  const day = createdAt.toISOString().slice(0, 10).replaceAll('-', '_')
  /** @type {string[]} */
  const platform = []
  /** @type {string[]} container output already collected from containers that stopped */
  const output = []
  let lastUpdated = createdAt

  return {
    machine,
    /** `YYYY_MM_DD_<machine>_docker.log` */
    platformFile: `${day}_${machine}_docker.log`,
    /** `YYYY_MM_DD_<machine>_default_docker.log` */
    outputFile: `${day}_${machine}_default_docker.log`,
    /**
     * One platform line.
     * @param {Level} level
     * @param {string} text
     */
    write(level, text) {
      lastUpdated = new Date()
      platform.push(`${lastUpdated.toISOString()} ${level.padEnd(5)} - ${text}`)
    },
    /** A line with nothing on it (App Service leaves one after each `docker run`). */
    blank() {
      platform.push('')
    },
    /**
     * Output of a container, each line stamped as Docker stamps it (nanoseconds, no level).
     * @param {string} text
     */
    appendOutput(text) {
      const stamp = `${new Date().toISOString().slice(0, -1)}000000Z`
      for (const line of text.split('\n').filter(Boolean)) output.push(`${stamp} ${line}`)
      lastUpdated = new Date()
    },
    /** The platform file's text. */
    platformText: () => (platform.length === 0 ? '' : `${platform.join('\n')}\n`),
    /** The container-output file's text, with `live` (output of running containers) after what was collected. */
    /** @param {string} [live] */
    outputText: (live = '') => `${output.map(line => `${line}\n`).join('')}${live}`,
    lastUpdated: () => lastUpdated
  }
}

/** @typedef {ReturnType<typeof createDockerLog>} DockerLog */
