import path from 'node:path'
import type { AzureSession } from '../azure/connect.js'
import type { BackendPlan } from '../plan.js'
import type { VerifyDeps } from './health.js'
import { buildAndPushImage, type BuiltImage } from './image-build.js'
import { loginToRegistry, type RegistryLoginDeps } from './registry-login.js'
import { rollout, type RolloutReport } from './rollout.js'
import { createWebAppControl } from './web-app-control.js'

export interface BackendDeployContext {
  workspace: string
  commit: string
  /** The repository's web URL, for the image's source label. */
  sourceUrl?: string
}

export interface BackendDeployDeps extends RegistryLoginDeps {
  azure: AzureSession
  registryCredentials: { username?: string; password?: string }
  verify: VerifyDeps
}

export interface BackendDeployResult {
  image: BuiltImage
  rollout: RolloutReport
}

/** One image for the commit, then every target of the environment switched to it, all or nothing. */
export async function deployBackend(plan: BackendPlan, context: BackendDeployContext, deps: BackendDeployDeps): Promise<BackendDeployResult> {
  const { logger } = deps
  const session = await loginToRegistry(plan.registry, { ...deps.registryCredentials, azure: deps.azure }, deps)
  try {
    const contextDir = path.resolve(context.workspace, plan.context)
    const image = await logger.group(`Build and push ${plan.image}`, () =>
      buildAndPushImage(
        {
          registry: plan.registry,
          repository: plan.repository,
          commit: context.commit,
          context: contextDir,
          dockerfile: plan.dockerfile ? path.resolve(context.workspace, plan.dockerfile) : path.join(contextDir, 'Dockerfile'),
          buildArgs: plan.buildArgs,
          versionBuildArg: plan.versionBuildArg,
          cache: plan.cache,
          sourceUrl: context.sourceUrl,
          createdAt: new Date()
        },
        { runner: deps.runner, logger, env: session.dockerEnv, tempDir: deps.tempDir }
      )
    )
    const report = await logger.group(`Roll out to ${plan.targets.length} target${plan.targets.length === 1 ? '' : 's'} (${plan.strategy})`, () =>
      rollout(
        {
          strategy: plan.strategy,
          targets: plan.targets,
          // The commit tag, immutable by convention; the digest is reported alongside.
          image: image.reference,
          commit: context.commit,
          registry: plan.registry,
          repository: plan.repository,
          acrIdentity: plan.acrIdentity,
          check: { path: plan.health.path, versionHeader: plan.health.versionHeader, consecutive: plan.health.consecutive, timeoutMs: plan.health.timeoutSeconds * 1000, intervalMs: plan.health.intervalSeconds * 1000 },
          swapTimeoutMs: plan.swapTimeoutSeconds * 1000
        },
        { control: createWebAppControl(deps.azure.clients), verify: deps.verify, logger }
      )
    )
    return { image, rollout: report }
  } finally {
    await session.cleanup()
  }
}
