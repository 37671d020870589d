import { defineConfig } from 'vite';

// The dashboard is served by the Panoramix process at / ; assets under /assets/.
export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, chunkSizeWarningLimit: 300 },
});
