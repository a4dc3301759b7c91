module.exports = ({ env }) => ({
  // The admin panel at /admin, once `scripts/stack` has built it (STRAPI_ADMIN_PANEL=true); off otherwise.
  serveAdminPanel: env.bool('STRAPI_ADMIN_PANEL', false),
  auth: {
    secret: env('ADMIN_JWT_SECRET'),
  },
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
