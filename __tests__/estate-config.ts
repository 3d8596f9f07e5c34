/** The config the end-to-end tests deploy with: two parts, three environments, like the users' estate. */
export const ESTATE_CONFIG = `shared:
  paths: [package-lock.json]
parts:
  backend:
    paths: ['backend/**', '!**/*.md']
    context: backend
    registry: myregistry.azurecr.io
    repository: api
  frontend:
    paths: ['frontend/**', '!**/*.md']
    working-directory: frontend
environments:
  dev:
    branches: [master_dev, 'feature/*']
    backend:
      targets: [{ resource-group: rg-dev, app: api-dev }]
    frontend:
      storage-account: webdev
  prod:
    branches: [main]
    tags: ['v*']
    backend:
      strategy: slot-swap
      targets:
        - { resource-group: rg-prod, app: api-prod-1, slot: staging }
        - { resource-group: rg-prod, app: api-prod-2, slot: staging }
    frontend:
      storage-account: webprod
      frontdoor: { resource-group: rg-prod, profile: fd-prod, endpoint: web, domains: [www.example.com] }
`

export const SUBSCRIPTION = '11111111-2222-3333-4444-555555555555'

export const ESTATE_FILES: Record<string, string> = {
  '.github/azure-deploy.yml': ESTATE_CONFIG,
  'package-lock.json': '{}\n',
  'backend/app.py': 'print("v1")\n',
  'backend/Dockerfile': 'FROM scratch\n',
  'backend/README.md': '# API\n',
  'frontend/package.json': '{"name":"web"}\n',
  'frontend/src/App.jsx': 'export default () => null\n',
  'docs/guide.md': '# Guide\n',
  'README.md': '# Estate\n'
}
