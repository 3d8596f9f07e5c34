import { Link } from 'react-router'

export default function Home() {
  return (
    <section>
      <h1>Tidepool</h1>
      <p className="tagline">Shared notes for small teams.</p>
      <p>
        <Link to="/notes">Read and write notes</Link>
      </p>
    </section>
  )
}
