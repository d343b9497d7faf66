import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

// In production the API serves dist/ at / with a history fallback, so the SPA and the API
// share one origin. In development Vite proxies the API paths to keep that same-origin shape
// (the refresh cookie is SameSite=Strict and scoped to /api/auth).
const API_TARGET = process.env.KEYWARD_API_URL ?? 'http://localhost:3000';

export default defineConfig({
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
  },
  server: {
    proxy: {
      '/api': { target: API_TARGET, changeOrigin: false },
      '/v1': { target: API_TARGET, changeOrigin: false },
    },
  },
});
