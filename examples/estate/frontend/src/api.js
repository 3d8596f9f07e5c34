// The API's base URL, inlined at build time from VITE_API_URL (one per environment, set in
// the deploy config's build-env). Empty: the same origin, as with `npm run dev`'s proxy.
export const API_URL = (import.meta.env.VITE_API_URL ?? '').replace(/\/+$/, '')

async function request(path, options = {}) {
  const response = await fetch(`${API_URL}${path}`, { ...options, headers: { Accept: 'application/json', ...options.headers } })
  if (!response.ok) throw new Error(`${options.method ?? 'GET'} ${path}: HTTP ${response.status}`)
  return response.json()
}

/** The API's health: `{ status, version }`, the commit it was built from. */
export const health = () => request('/healthz')

/** The newest notes first (the API pages them: `{ count, results }`). */
export const listNotes = () => request('/api/notes/?limit=50')

export const createNote = note => request('/api/notes/', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(note) })
