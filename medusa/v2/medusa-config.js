/**
 * Medusa v2 config for `medusa db:migrate`, `medusa exec ./seed-demo.js`, `medusa user` and `medusa start`
 * (the server scripts/stack runs for the write-back's Admin API; PORT, JWT_SECRET and COOKIE_SECRET from it).
 * No Redis: with no redisUrl and no module overrides Medusa v2 uses its defaults,
 * the local event bus and the in-memory cache / workflow engine / locking.
 * The admin dashboard is disabled (no build, no vite).
 */
const { defineConfig } = require("@medusajs/framework/utils");

const DATABASE_URL =
  process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/medusa_v2";

module.exports = defineConfig({
  projectConfig: {
    databaseUrl: DATABASE_URL,
    http: {
      jwtSecret: process.env.JWT_SECRET || "dev-jwt-secret",
      cookieSecret: process.env.COOKIE_SECRET || "dev-cookie-secret",
      storeCors: process.env.STORE_CORS || "http://localhost:8000",
      adminCors: process.env.ADMIN_CORS || "http://localhost:7001",
      authCors: process.env.AUTH_CORS || "http://localhost:7001",
    },
  },
  admin: {
    disable: true,
  },
});
