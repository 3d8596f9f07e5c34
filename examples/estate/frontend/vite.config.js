import react from '@vitejs/plugin-react'
import { defineConfig } from 'vite'

// The client-side routes of src/App.jsx other than "/". A Storage static website has no
// rewrite rules: the build writes index.html into a folder per route, so that a deep link
// such as /notes answers 200 with the app; any other path gets the error document
// (index.html again, with status 404), and the app shows its "Not found" page.
const ROUTES = ['notes', 'about']

/** Copies the built index.html to <route>/index.html for every route. */
function routeEntryPages(routes) {
  return {
    name: 'route-entry-pages',
    apply: 'build',
    enforce: 'post',
    generateBundle(_options, bundle) {
      const index = bundle['index.html']
      if (!index || index.type !== 'asset') this.error('index.html is not in the build')
      for (const route of routes) this.emitFile({ type: 'asset', fileName: `${route}/index.html`, source: index.source })
    }
  }
}

export default defineConfig({
  plugins: [react(), routeEntryPages(ROUTES)],
  // Absolute asset URLs (/assets/…), so the same index.html works from every route folder.
  base: '/',
  build: {
    outDir: 'dist',
    // dist/assets/<name>-<hash>.js|css: a new name for new content, so they can be cached
    // for a year (the deploy config's cache-control says so for assets/**).
    assetsDir: 'assets',
    sourcemap: false,
    rollupOptions: {
      // The dependencies (React, the router) in a chunk of their own: a change to the app's
      // code leaves its name alone, so a redeploy uploads only the app's chunk and the HTML.
      output: { manualChunks: id => (id.includes('/node_modules/') ? 'vendor' : undefined) }
    }
  },
  server: {
    // `npm run dev`: the API on this machine (python manage.py runserver, or the image).
    proxy: {
      '/api': process.env.DEV_API_URL ?? 'http://127.0.0.1:8000',
      '/healthz': process.env.DEV_API_URL ?? 'http://127.0.0.1:8000'
    }
  }
})
