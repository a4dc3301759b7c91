'use strict';

const routes = require('./routes');
const controller = require('./controller');
const writer = require('./writer');
const { ensureVersionIndexes } = require('./version-index');

module.exports = {
  register() {},
  async bootstrap({ strapi }) {
    await ensureVersionIndexes(strapi);
  },
  routes,
  controllers: { bulk: controller },
  services: { writer },
};
