'use strict';

const routes = require('./routes');
const controller = require('./controller');
const writer = require('./writer');

module.exports = {
  register() {},
  bootstrap() {},
  routes,
  controllers: { bulk: controller },
  services: { writer },
};
