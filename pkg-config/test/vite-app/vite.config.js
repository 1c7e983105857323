import { fileURLToPath } from "node:url";
import { defineConfig } from "vite";

// `permsnap` resolves to the built package, as `npm install permsnap` would.
export default defineConfig({
  root: fileURLToPath(new URL(".", import.meta.url)),
  logLevel: "warn",
  resolve: { alias: { permsnap: fileURLToPath(new URL("../../../pkg/index.js", import.meta.url)) } },
  build: { outDir: process.env.VITE_OUT_DIR, emptyOutDir: true, target: "es2022" },
});
