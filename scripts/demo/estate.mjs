// The throwaway estate: examples/estate (the Django API with its worker, the React site)
// copied into a git repository (a bare "origin" and a working clone), its config pointed at
// what runs on this machine, and its environments set up as a team would have them before
// adopting the action: stage runs the first commit (both API Web Apps and the worker run
// its image with their settings and start commands, its database is migrated, $web holds
// its site as the team's earlier tool uploaded it: no Cache-Control rules, no deploy
// manifest); dev's Web Apps exist but run nothing yet, and its $web is empty.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { lookup as guessType } from 'mime-types'
import { parse, stringify } from 'yaml'
import { repoRoot } from '../lib/action-runner.mjs'
import { replace } from '../lib/estate-edits.mjs'
import { createEstate } from '../lib/git-fixture.mjs'
import { BRANCHES, SUBSCRIPTION } from './runner.mjs'

/** The estate's image parts (the API and its worker, one image) and its sites' storage accounts. */
export const IMAGE_PARTS = ['api', 'worker']
export const SITE_ACCOUNTS = ['sttidepoolwebstage', 'sttidepoolwebdev']
import { execFileAsync, REGISTRY, why } from './services.mjs'

const estateSource = path.join(repoRoot, 'examples', 'estate')
const CONFIG_FILE = '.github/azure-deploy.yml'
/**
 * The demo's health check: 60 s for a new container to serve (a cold start copies the image
 * on the vfs storage driver, then boots gunicorn), polled every half second.
 */
const HEALTH = { timeout: 60, interval: 0.5 }
/** How the team's earlier tool left the site: a guessed Content-Type, one Cache-Control for every file. */
const EARLIER_CACHE_CONTROL = 'public, max-age=3600'

/**
 * examples/estate's config, edited for this machine, each edit saying so in a comment: with
 * Docker, the local registry and a shorter health check; with Azurite, each environment's
 * storage account reached at Azurite's endpoint for it; always, a `cloud:` block naming the
 * stand-in (a custom cloud, as for Azure Stack).
 */
function demoConfig(sourceText, { docker, endpointOf, cloudSetting }) {
  const edits = []
  if (docker) {
    edits.push(
      replace(/^(\s*registry: )(\S+)(.*)$/m, `$1${REGISTRY} # npm run demo: the local registry (was $2)`),
      replace(
        /^(\s*)timeout: 300\n(\s*)consecutive: 3\n(\s*)interval: 2$/m,
        `$1timeout: ${HEALTH.timeout} # npm run demo: was 300; a broken release is given up on sooner\n$2consecutive: 3\n$3interval: ${HEALTH.interval} # npm run demo: was 2`
      )
    )
  }
  if (endpointOf) {
    for (const account of SITE_ACCOUNTS) {
      edits.push(replace(new RegExp(`^(\\s*)storage-account: ${account}$`, 'm'), `$1storage-account: ${account}\n$1blob-endpoint: ${endpointOf(account)} # npm run demo: the account in Azurite (HTTPS, bearer tokens)`))
    }
  }
  const edited = edits.reduce((text, edit) => edit(text), sourceText)
  return `${edited.trimEnd()}\n\n# Added by npm run demo: Azure is the loopback stand-in (azure-standin/), a custom cloud.\n${stringify({ cloud: cloudSetting })}`
}

/** Every file under `dir`, by its path relative to it with `/`: `{ path, absolute }`. */
export function filesUnder(dir, prefix = '') {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap(entry => (entry.isDirectory() ? filesUnder(path.join(dir, entry.name), `${prefix}${entry.name}/`) : [{ path: `${prefix}${entry.name}`, absolute: path.join(dir, entry.name) }]))
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

/**
 * An environment's image parts and their targets, as the demo checks them: `{ part, app,
 * resourceGroup, command, port }` per Web App.
 */
export function webAppsOf(config, environment) {
  return Object.entries(config.parts)
    .filter(([, part]) => part.kind === 'image')
    .flatMap(([part]) => (config.environments[environment][part]?.targets ?? []).map(target => ({ part, app: target.app, resourceGroup: target['resource-group'], command: target.command, port: target.port })))
}

/** The site part of the config (its name and settings), and where it goes in `environment`. */
export function siteOf(config, environment) {
  const [name, part] = Object.entries(config.parts).find(([, candidate]) => candidate.kind === 'site')
  const settings = config.environments[environment][name]
  return { name, part, account: settings['storage-account'], container: settings.container ?? '$web', archiveContainer: settings['archive-container'] ?? 'deployments', edge: settings.frontdoor ? { kind: 'frontdoor', ...settings.frontdoor } : { kind: 'cdn', ...settings.cdn }, siteUrl: settings['site-url'] }
}

/** An image part's app settings in `environment`, values from the step's env, with its target's port: what App Service holds after a deploy. */
function appSettingsOf(config, environment, part, port, env) {
  const declared = config.environments[environment][part]['app-settings'] ?? {}
  const settings = Object.fromEntries(Object.entries(declared).map(([name, value]) => [name, typeof value === 'string' ? value : env[value['from-env']]]))
  return port === undefined ? settings : { ...settings, WEBSITES_PORT: String(port) }
}

/** Builds the image of `commit` and pushes it, as the team's earlier deploy did. */
async function buildImage({ estate, commit, image, cli, branch }) {
  const workspace = estate.checkout(commit, `refs/heads/${branch}`)
  const env = { ...process.env, DOCKER_BUILDKIT: cli.buildkit ? '1' : '0' }
  try {
    await execFileAsync(cli.path, ['build', '--quiet', '--network', 'none', '--build-arg', `APP_VERSION=${commit}`, '--tag', image, path.join(workspace, 'backend')], { env, timeout: 600_000 })
    await execFileAsync(cli.path, ['push', image], { env, timeout: 300_000 })
  } catch (error) {
    throw new Error(`building and pushing ${image} failed: ${why(error)}`)
  }
}

/** The migrations the earlier deploy ran by hand, once, in the image, on the host network. */
async function migrate({ image, cli, env }) {
  try {
    await execFileAsync(cli.path, ['run', '--rm', '--network', 'host', ...Object.keys(env).flatMap(name => ['-e', name]), image, 'python', 'manage.py', 'migrate', '--noinput'], { env: { ...process.env, ...env }, timeout: 300_000 })
  } catch (error) {
    throw new Error(`migrating the database with ${image} failed: ${why(error)}`)
  }
}

/**
 * The site as the earlier tool left it: the commit's build for the environment, each file
 * with its MD5, a Content-Type guessed without charset, one Cache-Control. No deploy
 * manifest: to the action, nothing it deployed runs there yet.
 */
async function seedEarlierSite({ estate, commit, branch, site, environment, container }) {
  const workspace = estate.checkout(commit, `refs/heads/${branch}`)
  const workingDir = path.join(workspace, site.part['working-directory'])
  try {
    await execFileAsync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: workingDir, timeout: 300_000 })
    await execFileAsync('npm', ['run', 'build'], { cwd: workingDir, env: { ...process.env, ...site.part['build-env'][environment], CI: 'true' }, timeout: 300_000 })
  } catch (error) {
    throw new Error(`building the earlier site failed: ${why(error)}`)
  }
  const files = filesUnder(path.join(workingDir, site.part.output))
  await container.create()
  for (const file of files) {
    const content = readFileSync(file.absolute)
    await container.getBlockBlobClient(file.path).upload(content, content.length, {
      blobHTTPHeaders: { blobContentType: guessType(file.path) || 'application/octet-stream', blobCacheControl: EARLIER_CACHE_CONTROL, blobContentMD5: createHash('md5').update(content).digest() }
    })
  }
}

/**
 * The estate repository, stage as if its first commit were live, dev's empty Web Apps and
 * CDN endpoint. Returns `{ estate, config, initial }`. `images`: where the local image tags
 * it makes are recorded (before they are made), to be removed at the end. `secrets`: each
 * environment's step env (DJANGO_SECRET_KEY, DATABASE_URL as the Web Apps reach it);
 * `migrationEnv`: stage's, as the runner reaches the database.
 * @param {{ standin: any, docker: any, storage: any, images: string[], secrets: Record<string, Record<string, string>>, migrationEnv?: Record<string, string> }} services
 */
export async function prepareEstate({ standin, docker, storage, images, secrets, migrationEnv }) {
  const sourceText = readFileSync(path.join(estateSource, CONFIG_FILE), 'utf8')
  const configText = demoConfig(sourceText, { docker: !docker.reason, endpointOf: storage.azurite?.endpointOf, cloudSetting: standin.cloudSetting })
  const config = parse(configText)
  const imagePart = Object.entries(config.parts).find(([, part]) => part.kind === 'image' && !part['image-from'])[1]

  const estate = createEstate({ from: estateSource, prefix: 'estate-', files: { [CONFIG_FILE]: configText } })
  estate.branch(BRANCHES.stage)
  estate.push(BRANCHES.stage)
  const initial = estate.head()
  const image = `${imagePart.registry}/${imagePart.repository}:${initial}`
  const stageSite = siteOf(config, 'stage')

  // Stage's image (built, pushed, its migrations run) and its site (built, uploaded), side by side.
  await Promise.all([
    (async () => {
      if (docker.reason) return
      images.push(image)
      await buildImage({ estate, commit: initial, image, cli: docker.cli, branch: BRANCHES.stage })
      if (migrationEnv) await migrate({ image, cli: docker.cli, env: migrationEnv })
    })(),
    storage.reason ? undefined : seedEarlierSite({ estate, commit: initial, branch: BRANCHES.stage, site: stageSite, environment: 'stage', container: storage.admin(stageSite.account).getContainerClient(stageSite.container) })
  ])

  // Stage's Web Apps run that image with their settings and start commands; dev's run nothing yet.
  const healthCheckPath = imagePart.health.path
  const stageApps = webAppsOf(config, 'stage')
  await Promise.all(
    stageApps.map(app =>
      standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: app.resourceGroup, name: app.app, image, healthCheckPath, appSettings: appSettingsOf(config, 'stage', app.part, app.port, secrets.stage), appCommandLine: app.command ?? '' })
    )
  )
  const notServing = standin.state().sites.filter(site => stageApps.some(app => app.app === site.name) && site.slot === 'production' && site.serving?.image !== image)
  if (notServing.length > 0) throw new Error(`${notServing.map(site => site.name).join(', ')} did not start ${image}: ${notServing[0].lastStart?.reason ?? notServing[0].status}`)
  await Promise.all(webAppsOf(config, 'dev').map(app => standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: app.resourceGroup, name: app.app, healthCheckPath })))

  // Dev's storage account, as the team's infrastructure set it up: its static website on, so
  // Azure has made its empty $web container (Azurite stores the setting but makes no container).
  if (!storage.reason) {
    const devSite = siteOf(config, 'dev')
    await storage.admin(devSite.account).getContainerClient(devSite.container).createIfNotExists()
  }

  // Stage's Front Door and dev's classic CDN endpoint.
  for (const environment of ['stage', 'dev']) {
    const { edge } = siteOf(config, environment)
    const endpoint = { subscription: SUBSCRIPTION, resourceGroup: edge['resource-group'], profile: edge.profile, endpoint: edge.endpoint }
    if (edge.kind === 'frontdoor') standin.addFrontDoorEndpoint({ ...endpoint, domains: edge.domains })
    else standin.addCdnEndpoint(endpoint)
  }
  return { estate, config, initial }
}
