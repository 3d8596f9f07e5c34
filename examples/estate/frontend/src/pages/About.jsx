import { useEffect, useState } from 'react'
import { API_URL, health } from '../api.js'

/** Which API this build talks to, and which version of it is serving. */
export default function About() {
  const [api, setApi] = useState({ state: 'loading' })

  useEffect(() => {
    health()
      .then(answer => setApi({ state: 'ok', version: answer.version }))
      .catch(() => setApi({ state: 'down' }))
  }, [])

  return (
    <section>
      <h1>About</h1>
      <p>Tidepool is a React site on a Storage static website, talking to a Django REST API on App Service.</p>
      <dl>
        <dt>API</dt>
        <dd>{API_URL || 'this site’s own origin'}</dd>
        <dt>API version</dt>
        <dd>{api.state === 'ok' ? api.version : api.state === 'down' ? 'unreachable' : '…'}</dd>
      </dl>
    </section>
  )
}
