import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// Imports point one way: the domain and the ports never reach up into adapters, server, api, cli or infra.
const upward = ['**/adapters/**', '**/server/**', '**/api/**', '**/cli/**', '**/infra/**', '**/functions/**'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'cdk.out/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['src/domain/**/*.ts', 'src/ports/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            { group: upward, message: 'The domain and ports import no adapter, server, api, cli or infra code.' },
            { group: ['better-sqlite3', '@aws-sdk/*', 'ws', 'ioredis', 'sharp', 'pino', 'graphql', 'jose'], message: 'The domain imports no I/O library or framework.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/functions/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [{ group: ['**/adapters/**', '**/server/**', '**/api/**', '**/cli/**', '**/infra/**'], message: 'Functions depend on the domain and ports only.' }] },
      ],
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.mjs', 'bench/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' } },
  },
);
