const path = require('path');

module.exports = ({ env }) => ({
  'users-permissions': {
    config: {
      jwtSecret: env('JWT_SECRET'),
      // Logins per address per 5 minutes (Strapi's default: 5). The test stacks raise it, so the suite's
      // many service-account logins never wait for the window.
      ratelimit: { max: env.int('STRAPI_AUTH_RATE_LIMIT', 5) },
    },
  },
  // The repository's bulk-upsert plugin (../strapi-plugin-bulk-upsert): batch writes for full syncs.
  'bulk-upsert': {
    enabled: true,
    resolve: path.resolve(__dirname, '..', '..', 'strapi-plugin-bulk-upsert'),
  },
});
