'use strict';

/**
 * Boot hooks.
 *
 * bootstrap() makes sure a full-access content-API token named `medusa-sync`
 * exists whose secret is exactly the value of the STRAPI_API_TOKEN env var, so
 * the sync client can be configured with a known token (no admin UI needed).
 * It is idempotent: it creates the token when missing and otherwise repairs
 * the stored hash / encrypted value / type / expiry only when they differ.
 * The token value itself is never logged. It also manages the sync's Users & Permissions service account
 * (./service-account.js).
 */

const { ensureServiceAccount } = require('./service-account');
const { ensureFirstAdmin, closeSelfRegistration } = require('./access');
const { guardUploads } = require('./upload-guard');
const { guardKeys, lockKeyInPanel } = require('./key-guard');
const { ensureLocales } = require('./locales');

const TOKEN_NAME = 'medusa-sync';
const TOKEN_DESCRIPTION = 'Full-access token for the Medusa -> Strapi product sync (managed from STRAPI_API_TOKEN)';
const TOKEN_UID = 'admin::api-token';

const getTokenService = (strapi) =>
  // 5.x >= 5.3x registers it as 'api-token-content-api'; 'api-token' is the deprecated alias.
  strapi.service('admin::api-token-content-api') || strapi.service('admin::api-token');

async function ensureSyncToken(strapi) {
  const value = process.env.STRAPI_API_TOKEN;
  if (!value) {
    strapi.log.info(`[medusa-sync] STRAPI_API_TOKEN not set: API token "${TOKEN_NAME}" left untouched`);
    return;
  }
  if (/\s/.test(value)) {
    // The Bearer parser splits the Authorization header on whitespace.
    throw new Error('[medusa-sync] STRAPI_API_TOKEN must not contain whitespace');
  }

  const tokenService = getTokenService(strapi);
  const encryption = strapi.service('admin::encryption');
  if (!tokenService || typeof tokenService.hash !== 'function') {
    throw new Error('[medusa-sync] admin api-token service not found');
  }
  tokenService.checkSaltIsDefined();

  // Same hash the content-api-token strategy compares: HMAC-SHA512(API_TOKEN_SALT, token) in hex.
  const accessKey = tokenService.hash(value);

  let token = await strapi.db.query(TOKEN_UID).findOne({ where: { name: TOKEN_NAME } });

  if (!token) {
    // Create through the service (fills kind/expiry/defaults), then pin the secret.
    const created = await tokenService.create({
      name: TOKEN_NAME,
      description: TOKEN_DESCRIPTION,
      type: 'full-access',
      lifespan: null,
    });
    await strapi.db.query(TOKEN_UID).update({
      where: { id: created.id },
      data: {
        accessKey,
        encryptedKey: strapi.config.get('admin.secrets.encryptionKey') ? encryption.encrypt(value) : null,
      },
    });
    strapi.log.info(`[medusa-sync] created full-access API token "${TOKEN_NAME}" (id ${created.id})`);
    return;
  }

  const fixes = [];

  if (token.type !== 'full-access') {
    // The service update also removes custom permissions rows for non-custom tokens.
    await tokenService.update(token.id, { type: 'full-access' });
    fixes.push('type');
  }

  const data = {};
  if (token.kind !== 'content-api') {
    data.kind = 'content-api';
    fixes.push('kind');
  }
  if (token.lifespan !== null || token.expiresAt !== null) {
    data.lifespan = null;
    data.expiresAt = null;
    fixes.push('expiry');
  }
  if (token.accessKey !== accessKey) {
    data.accessKey = accessKey;
    fixes.push('accessKey');
  }
  // encryptedKey only lets the admin UI show the token again; skip it when no ENCRYPTION_KEY is configured.
  const canEncrypt = Boolean(strapi.config.get('admin.secrets.encryptionKey'));
  let decrypted = null;
  if (canEncrypt && token.encryptedKey) {
    try {
      decrypted = encryption.decrypt(token.encryptedKey);
    } catch (e) {
      decrypted = null;
    }
  }
  if (canEncrypt && decrypted !== value) {
    data.encryptedKey = encryption.encrypt(value);
    fixes.push('encryptedKey');
  }

  if (Object.keys(data).length > 0) {
    await strapi.db.query(TOKEN_UID).update({ where: { id: token.id }, data });
  }

  if (fixes.length > 0) {
    strapi.log.info(`[medusa-sync] updated API token "${TOKEN_NAME}" (id ${token.id}): ${fixes.join(', ')}`);
  } else {
    strapi.log.info(`[medusa-sync] API token "${TOKEN_NAME}" (id ${token.id}) already up to date`);
  }
}

module.exports = {
  register({ strapi }) {
    guardUploads(strapi);
    guardKeys(strapi);
  },

  async bootstrap({ strapi }) {
    await ensureSyncToken(strapi);
    await ensureServiceAccount(strapi);
    await ensureFirstAdmin(strapi);
    await closeSelfRegistration(strapi);
    await lockKeyInPanel(strapi);
    await ensureLocales(strapi);
  },
};
