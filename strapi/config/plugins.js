const path = require('path');

module.exports = ({ env }) => ({
  'users-permissions': {
    config: {
      jwtSecret: env('JWT_SECRET'),
    },
  },
  // The repository's bulk-upsert plugin (../strapi-plugin-bulk-upsert): batch writes for full syncs.
  'bulk-upsert': {
    enabled: true,
    resolve: path.resolve(__dirname, '..', '..', 'strapi-plugin-bulk-upsert'),
  },
});
