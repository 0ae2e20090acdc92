// ESLint for the app, its tests and the e2e harness: the recommended rules
// of ESLint, typescript-eslint and eslint-plugin-svelte (Svelte 5 runes
// included). Formatting is Prettier's job (.prettierrc.json): the svelte
// plugin's stylistic rules are off.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import svelte from 'eslint-plugin-svelte';
import globals from 'globals';
import ts from 'typescript-eslint';
import svelteConfig from './svelte.config.js';

export default defineConfig(
  { ignores: ['node_modules/', 'docs/'] },
  js.configs.recommended,
  ts.configs.recommended,
  svelte.configs.recommended,
  svelte.configs.prettier,
  {
    languageOptions: { globals: { ...globals.browser } },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: ts.parser, extraFileExtensions: ['.svelte'], svelteConfig } },
  },
  {
    files: ['e2e/**', 'bench/**', '*.config.{js,ts}'],
    languageOptions: { globals: { ...globals.node } },
  },
);
