import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

/** The console's build: `npm run web:build` writes web/dist, which Reelay serves at `/` (src/http/console.ts). */
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  base: "/",
  plugins: [react()],
  logLevel: "warn",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    // the policy allows no inline script, and every browser the console targets preloads modules itself
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
    target: "es2022",
  },
  server: {
    // `npx vite --config web/vite.config.ts` during development, with Reelay on its default port
    proxy: { "/graphql": { target: "http://127.0.0.1:4000", ws: true }, "/media": "http://127.0.0.1:4000" },
  },
});
