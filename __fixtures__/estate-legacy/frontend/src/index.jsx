import React from 'react'
import { createRoot } from 'react-dom/client'
import App from './App.jsx'
import './index.css'

createRoot(document.getElementById('root')).render(
  <React.StrictMode>
    <App apiUrl={process.env.REACT_APP_API_URL} />
  </React.StrictMode>
)
