import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/**
 * Imports point one way (docs/architecture.md). Each folder lists the folders it may not import;
 * only runtime/ chooses adapters, and the entries (server, cli, lambda) ask it for a ready system.
 */
const LAYERS = {
  'src/config': ['domain', 'ports', 'adapters', 'functions', 'api', 'runtime', 'server', 'cli', 'lambda', 'infra'],
  'src/ports': ['adapters', 'functions', 'api', 'runtime', 'server', 'cli', 'lambda', 'infra'],
  'src/domain': ['adapters', 'functions', 'api', 'runtime', 'server', 'cli', 'lambda', 'infra'],
  'src/adapters': ['functions', 'api', 'runtime', 'server', 'cli', 'lambda', 'infra'],
  'src/functions': ['adapters', 'api', 'runtime', 'server', 'cli', 'lambda', 'infra'],
  'src/api': ['adapters', 'functions', 'runtime', 'server', 'cli', 'lambda', 'infra'],
  'src/runtime': ['server', 'cli', 'lambda', 'infra'],
  'src/server': ['adapters', 'cli', 'lambda', 'infra'],
  'src/cli': ['adapters', 'lambda', 'infra'],
  'src/lambda': ['adapters', 'server', 'cli', 'infra'],
  infra: ['adapters', 'functions', 'api', 'runtime', 'server', 'cli', 'lambda'],
};
/** I/O libraries and frameworks the domain and ports never import. */
const IO_LIBRARIES = ['better-sqlite3', '@aws-sdk/*', 'ws', 'ioredis', 'sharp', 'pino', 'graphql', 'jose', 'aws-cdk-lib', 'aws-cdk-lib/*'];

function layerRules() {
  return Object.entries(LAYERS).map(([folder, forbidden]) => {
    const pure = folder === 'src/domain' || folder === 'src/ports';
    const patterns = [
      {
        // infra/ sits beside src/, so its forbidden folders are those under src/.
        group: forbidden.map((f) => (folder === 'infra' ? `**/src/${f}/**` : `**/${f}/**`)),
        message: `${folder}/ may not import ${forbidden.join(', ')} (imports point one way; only runtime/ chooses adapters).`,
      },
      ...(pure ? [{ group: IO_LIBRARIES, message: 'The domain imports no I/O library or framework.' }] : []),
    ];
    return { files: [`${folder}/**/*.ts`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
  });
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'coverage/**', 'cdk.out/**', '.scratch-*/**', 'test-output/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  ...layerRules(),
  {
    files: ['bin/**/*.js', 'scripts/**/*.mjs', 'bench/**/*.mjs', 'test/**/*.mjs'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly', performance: 'readonly' } },
  },
  {
    // The web console's own modules run in the browser, beside the UMD libraries it loads.
    files: ['src/server/console/public/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        ['window', 'document', 'location', 'fetch', 'sessionStorage', 'Node', 'URLSearchParams', 'setInterval', 'clearInterval', 'console', 'uPlot', 'React', 'ReactDOM', 'GraphiQL'].map((g) => [g, 'readonly']),
      ),
    },
  },
);
