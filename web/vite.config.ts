// Vite builds the app into ../assets, which the Go binary embeds
// (//go:embed all:assets). Output must be reproducible: CI rebuilds and
// requires `git status --porcelain -- assets` to stay empty.
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// backend is the connlab server the dev server proxies to (`make web-dev`).
const backend = process.env.CONNLAB_URL ?? 'http://127.0.0.1:9000';

export default defineConfig({
  base: '/',
  plugins: [svelte()],
  build: {
    outDir: '../assets',
    emptyOutDir: true, // outDir is outside the Vite root: Vite will not empty it otherwise
    assetsDir: 'assets',
    sourcemap: false,
    target: 'es2022',
    chunkSizeWarningLimit: 400,
  },
  server: {
    host: '127.0.0.1',
    proxy: {
      '/api': { target: backend, changeOrigin: false },
      '/healthz': { target: backend },
      '/ws': { target: backend, ws: true },
    },
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
