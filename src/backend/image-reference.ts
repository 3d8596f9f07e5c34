import { isCommitSha } from '../inputs.js'

/** `DOCKER|registry/repo:tag` (a Linux Web App's linuxFxVersion) → `registry/repo:tag`. */
export function imageOfLinuxFxVersion(linuxFxVersion: string | undefined): string | undefined {
  const match = /^DOCKER\|(.+)$/i.exec(linuxFxVersion?.trim() ?? '')
  return match?.[1]
}

export function linuxFxVersionOf(image: string): string {
  return `DOCKER|${image}`
}

/**
 * The commit an image was built from, when it is one of ours: `<registry>/<repository>:<sha>`
 * (a digest may follow). Anything else — another repository, `latest`, a version tag — is not.
 */
export function commitOfImage(image: string, registry: string, repository: string): string | undefined {
  const withoutDigest = image.split('@')[0]!
  const colon = withoutDigest.lastIndexOf(':')
  if (colon <= withoutDigest.lastIndexOf('/')) return undefined
  const name = withoutDigest.slice(0, colon)
  const tag = withoutDigest.slice(colon + 1).toLowerCase()
  if (name.toLowerCase() !== `${registry}/${repository}`.toLowerCase()) return undefined
  return isCommitSha(tag) ? tag : undefined
}
