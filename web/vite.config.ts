/// <reference types="vitest/config" />
import preact from "@preact/preset-vite";
import { defineConfig } from "vite";

// The console is served at the root of the local gateway and of its CloudFront distribution; the
// runtime configuration (/config.json) tells it where the API, the WebSocket and the sign-in are.
export default defineConfig({
  plugins: [preact()],
  build: {
    outDir: "dist",
    target: "es2022",
    sourcemap: false,
    assetsInlineLimit: 0,
  },
  test: {
    include: ["src/**/*.test.ts"],
    environment: "node",
  },
});
