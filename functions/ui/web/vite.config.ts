import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The app is served at `/` by the same origin as the API. For local work, `BANGUI_API`
// (e.g. http://127.0.0.1:8600) is proxied under /api by `vite` and `vite preview`.
const api = process.env.BANGUI_API;
const proxy = api ? { '/api': { target: api, changeOrigin: false } } : undefined;

export default defineConfig({
  base: '/',
  plugins: [preact()],
  build: {
    manifest: true,
    target: 'es2020',
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  server: { proxy },
  preview: { proxy },
  test: {
    include: ['src/**/*.test.ts', 'e2e/**/*.test.mjs'],
    environment: 'node',
  },
});
