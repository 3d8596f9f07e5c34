import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'examples/**/build/', 'examples/**/dist/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly' }
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always'],
      'no-restricted-imports': ['error', { patterns: [{ group: ['@actions/*/lib/*'], message: 'Import @actions packages by their public entry only.' }] }]
    }
  },
  // The example estate's site runs in the browser.
  { files: ['examples/**/frontend/src/**'], languageOptions: { globals: { fetch: 'readonly', document: 'readonly' } } }
)
