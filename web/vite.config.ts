import { defineConfig } from 'vite';

// Preact through the automatic JSX runtime (tsconfig's jsxImportSource): no plugin needed.
// Everything is bundled into dist/: no CDN at run time.
export default defineConfig({
  build: {
    target: 'es2022',
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    reportCompressedSize: true,
  },
  server: {
    // `npx vite` for UI work: the API and WebSocket come from a running `make dev`.
    proxy: {
      '/api': 'http://127.0.0.1:8000',
      '/ws': { target: 'ws://127.0.0.1:8000', ws: true },
    },
  },
});
