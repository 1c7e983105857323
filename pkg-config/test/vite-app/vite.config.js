import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

const pkg = (file) => fileURLToPath(new URL(`../../../pkg/${file}`, import.meta.url));

// `permsnap` resolves to the built package, as `npm install permsnap` would.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  logLevel: "warn",
  resolve: {
    alias: [
      { find: /^permsnap\/permsnap\.css$/, replacement: pkg("permsnap.css") },
      { find: /^permsnap$/, replacement: pkg("index.js") },
    ],
  },
  build: { outDir: process.env.VITE_OUT_DIR, emptyOutDir: true, target: "es2022" },
});
