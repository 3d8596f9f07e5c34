import { useEffect, useState } from 'react'
import { createNote, listNotes } from '../api.js'

/** The notes from the API, newest first, and a form that adds one. */
export default function Notes() {
  const [notes, setNotes] = useState([])
  const [error, setError] = useState('')
  const [title, setTitle] = useState('')
  const [body, setBody] = useState('')

  const load = () =>
    listNotes()
      .then(page => setNotes(page.results))
      .catch(failure => setError(failure.message))

  useEffect(() => {
    load()
  }, [])

  const submit = async event => {
    event.preventDefault()
    try {
      await createNote({ title, body })
      setTitle('')
      setBody('')
      setError('')
      await load()
    } catch (failure) {
      setError(failure.message)
    }
  }

  return (
    <section>
      <h1>Notes</h1>
      <form onSubmit={submit}>
        <input value={title} onChange={event => setTitle(event.target.value)} placeholder="Title" required maxLength={200} />
        <textarea value={body} onChange={event => setBody(event.target.value)} placeholder="Note" rows={3} />
        <button type="submit">Add note</button>
      </form>
      {error && <p className="error">{error}</p>}
      <ul className="notes">
        {notes.map(note => (
          <li key={note.id}>
            <strong>{note.title}</strong>
            {note.body && <p>{note.body}</p>}
            <small>
              {new Date(note.created).toLocaleString()}
              {note.words !== null && ` · ${note.words} words`}
            </small>
          </li>
        ))}
      </ul>
    </section>
  )
}
