module.exports = ({ env }) => ({
  // The admin panel at /admin, once `scripts/stack` has built it (STRAPI_ADMIN_PANEL=true); off otherwise.
  serveAdminPanel: env.bool('STRAPI_ADMIN_PANEL', false),
  auth: {
    secret: env('ADMIN_JWT_SECRET'),
  },
  // Admin logins per email, path and address in 5 minutes: Strapi's 5 unless the stack raises it (its test stacks).
  rateLimit: { max: env.int('STRAPI_AUTH_RATE_LIMIT', 5) },
  apiToken: {
    salt: env('API_TOKEN_SALT'),
  },
  transfer: {
    token: {
      salt: env('TRANSFER_TOKEN_SALT'),
    },
  },
  secrets: {
    encryptionKey: env('ENCRYPTION_KEY'),
  },
  flags: {
    nps: false,
    promoteEE: false,
  },
});
