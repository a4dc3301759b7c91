'use strict';

// Content-API routes, under /api/bulk-upsert. Authenticated like the REST API (API token or a
// Users & Permissions user); the controller also checks the caller may create/update/delete the type.
module.exports = {
  'content-api': {
    type: 'content-api',
    routes: [
      { method: 'GET', path: '/:plural', handler: 'bulk.capability', config: { policies: [] } },
      { method: 'POST', path: '/:plural', handler: 'bulk.upsert', config: { policies: [] } },
      { method: 'POST', path: '/:plural/find', handler: 'bulk.find', config: { policies: [] } },
      { method: 'POST', path: '/:plural/keys', handler: 'bulk.keys', config: { policies: [] } },
    ],
  },
};
