'use strict';

const routes = require('./routes');
const controller = require('./controller');
const writer = require('./writer');
const { ensureVersionIndexes } = require('./version-index');

module.exports = {
  // uniqueKeys: {uid: key} of content types someone else designed whose key gets a unique index (version-index.js)
  config: {
    default: { uniqueKeys: {} },
    validator(config) {
      const keys = config.uniqueKeys || {};
      if (typeof keys !== 'object' || Array.isArray(keys) || Object.values(keys).some((k) => typeof k !== 'string')) {
        throw new Error('bulk-upsert: uniqueKeys must map content type uids to attribute names, e.g. {"api::product.product": "medusaId"}');
      }
    },
  },
  register() {},
  async bootstrap({ strapi }) {
    await ensureVersionIndexes(strapi);
  },
  routes,
  controllers: { bulk: controller },
  services: { writer },
};
