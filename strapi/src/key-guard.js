'use strict';

/**
 * `medusa_id` ties an entry to its Medusa row: the sync sets it, the write-back follows it back to Medusa. Only
 * the sync may set or change it: its full-access token (`medusa-sync`) or its service account (role
 * `medusa-sync`). Anyone else (an editor in the admin panel, another token, an end user) gets a 400 for a create
 * or an update that sets it to another value; an update that sends it unchanged (the admin panel's form sends
 * every field) goes through. Calls without a request (bootstrap, the bulk plugin's own writes) are the app's.
 */

const { errors } = require('@strapi/utils');
const { ROLE_TYPE } = require('./service-account');

const KEY = 'medusa_id';
const SYNC_TOKEN_NAME = 'medusa-sync';
const WRITES = new Set(['create', 'update']);

function isTheSync(auth) {
  const strategy = auth && auth.strategy && auth.strategy.name;
  const credentials = auth && auth.credentials;
  if (strategy === 'content-api-token' || strategy === 'api-token') return Boolean(credentials && credentials.name === SYNC_TOKEN_NAME);
  if (strategy === 'users-permissions') return Boolean(credentials && credentials.role && credentials.role.type === ROLE_TYPE);
  return false;
}

async function currentKey(strapi, uid, documentId) {
  const row = await strapi.db.query(uid).findOne({ where: { documentId }, select: [KEY] });
  return row ? row[KEY] : undefined;
}

function guardKeys(strapi) {
  strapi.documents.use(async (context, next) => {
    const { uid, action, params, contentType } = context;
    const data = params && params.data;
    if (!WRITES.has(action) || !uid.startsWith('api::') || !contentType || !Object.hasOwn(contentType.attributes, KEY)
        || !data || typeof data !== 'object' || !Object.hasOwn(data, KEY)) {
      return next();
    }
    const request = strapi.requestContext.get();
    const auth = request && request.state && request.state.auth;
    if (!request || isTheSync(auth)) return next();
    if (action === 'update' && (await currentKey(strapi, uid, params.documentId)) === data[KEY]) return next();
    throw new errors.ValidationError(`${KEY} is set by the Medusa sync and cannot be set or changed here`, { key: KEY });
  });
}

/** In the admin panel's edit view, `medusa_id` shows read-only on every type that has it (set at each boot). */
async function lockKeyInPanel(strapi) {
  const manager = strapi.plugin('content-manager');
  if (!manager) return;
  const contentTypes = manager.service('content-types');
  for (const ct of Object.values(strapi.contentTypes)) {
    if (!ct.uid.startsWith('api::') || !Object.hasOwn(ct.attributes, KEY)) continue;
    const configuration = await contentTypes.findConfiguration(ct);
    const edit = configuration.metadatas && configuration.metadatas[KEY] && configuration.metadatas[KEY].edit;
    if (!edit || edit.editable === false) continue;
    edit.editable = false;
    edit.description = edit.description || 'Set by the Medusa sync';
    const { uid, ...rest } = configuration;
    await contentTypes.updateConfiguration(ct, rest);
  }
}

module.exports = { guardKeys, lockKeyInPanel, isTheSync };
