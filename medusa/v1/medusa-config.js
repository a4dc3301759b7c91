/**
 * Medusa v1 config for `medusa migrations run`, `medusa seed`, `medusa user` and `medusa start` (the server
 * scripts/stack runs for the write-back's Admin API; JWT_SECRET / COOKIE_SECRET come from the stack).
 * No Redis: local event bus + in-memory cache (Medusa falls back to a fake Redis
 * for its session/job plumbing when `redis_url` is absent).
 */
const DATABASE_URL =
  process.env.DATABASE_URL || "postgres://postgres@127.0.0.1:5432/medusa";

/** @type {import('@medusajs/medusa').ConfigModule} */
module.exports = {
  projectConfig: {
    database_url: DATABASE_URL,
    database_type: "postgres",
    jwt_secret: process.env.JWT_SECRET || "dev-jwt-secret",
    cookie_secret: process.env.COOKIE_SECRET || "dev-cookie-secret",
    store_cors: process.env.STORE_CORS || "http://localhost:8000",
    admin_cors: process.env.ADMIN_CORS || "http://localhost:7001",
  },
  plugins: ["medusa-fulfillment-manual", "medusa-payment-manual"],
  modules: {
    eventBus: { resolve: "@medusajs/event-bus-local" },
    cacheService: { resolve: "@medusajs/cache-inmemory" },
  },
};
