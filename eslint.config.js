// @ts-check
import js from '@eslint/js';
import { createTypeScriptImportResolver } from 'eslint-import-resolver-typescript';
import { importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/**
 * The layers of src/ (docs/architecture.md), lowest first. A module may import only from its own layer or a lower
 * one; `emulators/` stands beside the stack and may use only `mkv/` and `core/`.
 */
const upper = {
  core: ['./src/mkv', './src/live', './src/auth', './src/pagination', './src/datasources', './src/resolvers', './src/schema', './src/server', './src/cli', './src/main.ts', './src/emulators'],
  domain: ['./src/resolvers', './src/schema', './src/server', './src/cli', './src/main.ts', './src/emulators'],
  resolvers: ['./src/schema', './src/server', './src/cli', './src/main.ts', './src/emulators'],
  schema: ['./src/server', './src/cli', './src/main.ts', './src/emulators'],
  server: ['./src/cli', './src/main.ts'],
};
const domain = ['./src/live', './src/auth', './src/pagination', './src/datasources'];
const layerZones = [
  { target: ['./src/core', './src/config.ts', './src/types'], from: upper.core, message: 'core/ is the bottom layer: it imports nothing of ours but core/ and config.ts.' },
  {
    target: './src/mkv',
    from: './src',
    except: ['./mkv'],
    message: 'mkv/ imports nothing of ours but its own modules.',
  },
  {
    target: './src/emulators',
    from: './src',
    except: ['./emulators', './mkv', './core'],
    message: 'emulators/ stand beside the stack: they may use mkv/ and core/ only.',
  },
  ...domain.map((target) => ({ target, from: upper.domain, message: 'Domain services (live, auth, pagination, datasources) never import resolvers, schema, server, cli or emulators.' })),
  { target: './src/resolvers', from: upper.resolvers, message: 'resolvers/ import only domain services and lower layers.' },
  { target: './src/schema', from: upper.schema, message: 'schema/ never imports server/, cli/ or emulators/.' },
  { target: './src/server', from: upper.server, message: 'Nothing imports cli/ or main.ts but main.ts.' },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'test/generated/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-empty': ['error', { allowEmptyCatch: false }],
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportDefaultDeclaration', message: 'Named exports only.' },
      ],
    },
  },
  {
    // The dependency direction of src/ (docs/architecture.md): layer zones plus no cycles, type-only imports included.
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      ...importX.flatConfigs.typescript.settings,
      'import-x/resolver-next': [createTypeScriptImportResolver({ project: './tsconfig.json' })],
    },
    rules: {
      'import-x/no-cycle': ['error', { ignoreExternal: true, allowUnsafeDynamicCyclicDependency: false }],
      'import-x/no-restricted-paths': ['error', { basePath: import.meta.dirname, zones: layerZones }],
    },
  },
  {
    // The gateway logs through its logger only: `serve` turns dependencies' console output into log lines
    // (src/cli/console-to-log.ts), so our own would arrive there unstructured. The emulators' default error
    // reporters, for standalone use, print to stderr.
    files: ['src/**/*.ts'],
    ignores: ['src/emulators/**'],
    rules: { 'no-console': 'error' },
  },
  {
    files: ['bin/**/*.js', 'eslint.config.js'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: { process: 'readonly', URL: 'readonly' } },
  },
  {
    // Tool configuration files are loaded by their tools through a default export.
    files: ['eslint.config.js', 'vitest.config.ts', 'codegen.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
