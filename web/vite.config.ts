// Builds straight into the Python package (src/tenantplane/web_dist), which the API process serves.
// `npm run dev` proxies the API to a `make run` server on :8000.
import react from "@vitejs/plugin-react";
import { defineConfig } from "vitest/config";

const api = process.env.TENANTPLANE_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: "../src/tenantplane/web_dist",
    emptyOutDir: true,
    assetsDir: "assets",
  },
  server: {
    proxy: { "/api": api, "/workflow": api, "/docs": api, "/openapi.json": api },
  },
  test: {
    environment: "node",
    include: ["src/**/*.test.ts"],
  },
});
