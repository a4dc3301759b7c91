'use strict';

const { factories } = require('@strapi/strapi');

module.exports = factories.createCoreRouter('api::fixture-localized.fixture-localized');
