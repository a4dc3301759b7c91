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
  // Uploads (the media library, from the admin panel and the content API): raster images and PDFs only, checked
  // by the upload plugin on the file's detected type; never SVG or HTML, which a browser runs as a page of this
  // Strapi's own origin. UPLOAD_ALLOWED_TYPES (comma-separated MIME patterns) widens or narrows the list.
  upload: {
    config: {
      security: {
        allowedTypes: env.array('UPLOAD_ALLOWED_TYPES', ['image/jpeg', 'image/png', 'image/gif', 'image/webp', 'image/avif', 'application/pdf']),
        deniedTypes: ['image/svg+xml', 'text/html', 'application/xhtml+xml', 'text/xml', 'application/xml', 'text/javascript', 'application/javascript'],
      },
    },
  },
  // The repository's bulk-upsert plugin (../strapi-plugin-bulk-upsert): batch writes for full syncs.
  // BULK_UPSERT_UNIQUE_KEYS ({"api::product.product": "medusaId"}): content types someone else designed whose key
  // the plugin gives a unique index at every boot (their schema declares it `unique: true` alone).
  'bulk-upsert': {
    enabled: true,
    resolve: path.resolve(__dirname, '..', '..', 'strapi-plugin-bulk-upsert'),
    config: { uniqueKeys: env.json('BULK_UPSERT_UNIQUE_KEYS', {}) },
  },
});
