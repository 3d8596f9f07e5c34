/** An Azure Container Registry login server: `<name>.azurecr.io` (public), `.us` (US Government), `.cn` (China). */
export function isAzureContainerRegistry(registry: string): boolean {
  return /^[a-z0-9]+\.azurecr\.(?:io|us|cn)$/i.test(registry)
}

/**
 * A registry on this machine (`127.0.0.0/8`, `localhost`, `[::1]`, with or without a port).
 * Docker pushes to these over plain HTTP without configuration, and they need no login.
 */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '').toLowerCase()
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host)
}
