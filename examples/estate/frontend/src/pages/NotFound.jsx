import { Link } from 'react-router'

export default function NotFound() {
  return (
    <section>
      <h1>Not found</h1>
      <p>
        Nothing lives here. <Link to="/">Back to the start</Link>
      </p>
    </section>
  )
}
