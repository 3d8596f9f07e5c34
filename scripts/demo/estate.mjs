// The throwaway estate: examples/estate copied into a git repository (a bare "origin" and a
// working clone), its config pointed at what runs on this machine, and stage set up as if
// its first commit were live: both Web Apps run that commit's image, Front Door's endpoint
// exists on the stand-in, and $web in Azurite holds that commit's site as the team's
// earlier tool uploaded it (no Cache-Control rules, no deploy manifest).
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { lookup as guessType } from 'mime-types'
import { parse, stringify } from 'yaml'
import { repoRoot } from '../lib/action-runner.mjs'
import { AZURITE_ACCOUNT } from '../lib/azurite.mjs'
import { createEstate } from '../lib/git-fixture.mjs'
import { BRANCH, ENVIRONMENT, SUBSCRIPTION } from './runner.mjs'
import { execFileAsync, REGISTRY, why } from './services.mjs'

// The C-server estate examples/estate used to be, until the demo runs the Django + React one.
const estateSource = path.join(repoRoot, '__fixtures__', 'estate-legacy')
export const SITE_CONTAINER = '$web'
export const ARCHIVE_CONTAINER = 'deployments'
/** The health check of the demo's config: a broken release is given up on in 10 s, not 5 min. */
const HEALTH = { timeout: 10, interval: 0.5 }
/** How the team's earlier tool left the site: a guessed Content-Type, one Cache-Control for every file. */
const EARLIER_CACHE_CONTROL = 'public, max-age=3600'

/** An edit that replaces `from` (a string or RegExp) and refuses to be a silent no-op. */
export const replace = (from, to) => text => {
  const next = text.replace(from, to)
  if (next === text) throw new Error(`demo edit found nothing to replace: ${from}`)
  return next
}

/**
 * examples/estate's config, edited for this machine: with Docker, the local registry and a
 * shorter health check; with Azurite, stage's site in its account; always, a `cloud:` block
 * naming the stand-in (a custom cloud, as for Azure Stack). Every edit says so in a comment.
 */
function demoConfig(sourceText, { docker, blobEndpoint, cloudSetting }) {
  const edits = []
  if (docker) {
    edits.push(
      replace(/^(\s*registry: )(\S+)(.*)$/m, `$1${REGISTRY} # npm run demo: the local registry (was $2)`),
      replace(
        /^(\s*)timeout: 300\n(\s*)consecutive: 3$/m,
        `$1timeout: ${HEALTH.timeout} # npm run demo: was 300, so that a broken release is given up on quickly\n$2consecutive: 3\n$2interval: ${HEALTH.interval} # npm run demo: was the default, 2`
      )
    )
  }
  if (blobEndpoint) {
    edits.push(
      replace(
        /^(\s*)storage-account: sttidepoolwebstage$/m,
        `$1storage-account: ${AZURITE_ACCOUNT} # npm run demo: Azurite's account (was sttidepoolwebstage)\n$1blob-endpoint: ${blobEndpoint} # npm run demo: Azurite, HTTPS, bearer tokens`
      )
    )
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

/** `sh backend/build-server.sh` in a checkout: the example workflow's step before the action. */
export async function compileServer(workspace) {
  try {
    await execFileAsync('sh', [path.join(workspace, 'backend', 'build-server.sh')], { timeout: 120_000 })
  } catch (error) {
    throw new Error(`backend/build-server.sh failed: ${why(error)}`)
  }
}

/** Builds the image of `commit` and pushes it, as an earlier deploy would have. */
async function buildImage({ estate, commit, image, cli }) {
  const workspace = estate.checkout(commit, `refs/heads/${BRANCH}`)
  await compileServer(workspace)
  const env = { ...process.env, DOCKER_BUILDKIT: cli.buildkit ? '1' : '0' }
  try {
    await execFileAsync(cli.path, ['build', '--quiet', '--build-arg', `APP_VERSION=${commit}`, '--tag', image, path.join(workspace, 'backend')], { env, timeout: 300_000 })
    await execFileAsync(cli.path, ['push', image], { env, timeout: 300_000 })
  } catch (error) {
    throw new Error(`building and pushing ${image} failed: ${why(error)}`)
  }
}

/**
 * The site as the earlier tool left it: the commit's build for stage, each file with its
 * MD5, a Content-Type guessed without charset, one Cache-Control. No deploy manifest: to the
 * action, nothing it deployed runs there yet.
 */
async function seedEarlierSite({ estate, commit, frontend, site }) {
  const workspace = estate.checkout(commit, `refs/heads/${BRANCH}`)
  const workingDir = path.join(workspace, frontend['working-directory'])
  try {
    await execFileAsync('npm', ['run', 'build'], { cwd: workingDir, env: { ...process.env, ...frontend['build-env'][ENVIRONMENT], CI: 'true' }, timeout: 120_000 })
  } catch (error) {
    throw new Error(`building the earlier site failed: ${why(error)}`)
  }
  const files = filesUnder(path.join(workingDir, frontend.output))
  await site.create()
  for (const file of files) {
    const content = readFileSync(file.absolute)
    await site.getBlockBlobClient(file.path).upload(content, content.length, {
      blobHTTPHeaders: { blobContentType: guessType(file.path) || 'application/octet-stream', blobCacheControl: EARLIER_CACHE_CONTROL, blobContentMD5: createHash('md5').update(content).digest() }
    })
  }
}

/**
 * The estate repository, and stage as if its first commit were live. Returns `{ estate,
 * config, initial, apps, frontDoor, healthPath, images }`. `images`: where the local image
 * tags it makes are recorded (before they are made), to be removed at the end.
 * @param {{ standin: any, docker: any, storage: any, images: string[] }} services
 */
export async function prepareEstate({ standin, docker, storage, images }) {
  const sourceText = readFileSync(path.join(estateSource, '.github', 'azure-deploy.yml'), 'utf8')
  const configText = demoConfig(sourceText, { docker: !docker.reason, blobEndpoint: storage.azurite?.blobEndpoint, cloudSetting: standin.cloudSetting })
  const config = parse(configText)
  const { backend, frontend } = config.parts
  const stage = config.environments[ENVIRONMENT]

  const estate = createEstate({ from: estateSource, prefix: 'estate-', files: { '.github/azure-deploy.yml': configText } })
  estate.branch(BRANCH)
  estate.push(BRANCH)
  const initial = estate.head()

  // The Web Apps run the first commit's image, as if it had been deployed.
  const image = `${backend.registry}/${backend.repository}:${initial}`
  if (!docker.reason) {
    images.push(image)
    await buildImage({ estate, commit: initial, image, cli: docker.cli })
  }
  const apps = stage.backend.targets.map(target => ({ resourceGroup: target['resource-group'], name: target.app }))
  await Promise.all(apps.map(app => standin.addWebApp({ subscription: SUBSCRIPTION, resourceGroup: app.resourceGroup, name: app.name, image, healthCheckPath: backend.health.path, appSettings: { WEBSITES_PORT: '8000' } })))
  const notServing = standin.state().sites.filter(site => site.slot === 'production' && site.serving?.image !== image)
  if (notServing.length > 0) throw new Error(`${notServing.map(site => site.name).join(', ')} did not start ${image}: ${notServing[0].lastStart?.reason ?? notServing[0].status}`)

  // Front Door on the stand-in; $web in Azurite as the earlier tool left it.
  const frontDoor = stage.frontend.frontdoor
  standin.addFrontDoorEndpoint({ subscription: SUBSCRIPTION, resourceGroup: frontDoor['resource-group'], profile: frontDoor.profile, endpoint: frontDoor.endpoint, domains: frontDoor.domains })
  if (!storage.reason) await seedEarlierSite({ estate, commit: initial, frontend, site: storage.admin.getContainerClient(SITE_CONTAINER) })

  return { estate, config, initial, apps, frontDoor, healthPath: backend.health.path, images }
}
