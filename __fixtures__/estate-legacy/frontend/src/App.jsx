import { useEffect, useState } from 'react'

/** The landing page: a headline, and which API version this site is talking to. */
export default function App({ apiUrl }) {
  const [api, setApi] = useState({ state: 'loading' })

  useEffect(() => {
    fetch(`${apiUrl}/healthz`)
      .then(response => response.json())
      .then(health => setApi({ state: 'ok', version: health.version }))
      .catch(() => setApi({ state: 'down' }))
  }, [apiUrl])

  return (
    <main className="app">
      <h1>Tidepool</h1>
      <p className="tagline">Shared notes for small teams.</p>
      <footer>
        API {api.state === 'ok' ? `version ${api.version}` : api.state === 'down' ? 'unreachable' : '…'}
      </footer>
    </main>
  )
}
