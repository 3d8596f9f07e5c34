import { NavLink, Route, Routes } from 'react-router'
import About from './pages/About.jsx'
import Home from './pages/Home.jsx'
import NotFound from './pages/NotFound.jsx'
import Notes from './pages/Notes.jsx'

/** The site's frame: navigation, then the page of the current route (client-side routing). */
export default function App() {
  return (
    <div className="app">
      <header>
        <NavLink to="/" className="brand">
          Tidepool
        </NavLink>
        <nav>
          <NavLink to="/notes">Notes</NavLink>
          <NavLink to="/about">About</NavLink>
        </nav>
      </header>
      <main>
        <Routes>
          <Route path="/" element={<Home />} />
          <Route path="/notes" element={<Notes />} />
          <Route path="/about" element={<About />} />
          <Route path="*" element={<NotFound />} />
        </Routes>
      </main>
    </div>
  )
}
