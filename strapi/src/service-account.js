'use strict';

/**
 * The sync's Users & Permissions service account, for running the sync without an API token.
 *
 * When STRAPI_IDENTIFIER and STRAPI_PASSWORD are set (scripts/stack sets them), bootstrap() makes sure a
 * user with that exact email (an identifier without '@' stands for <identifier>@medusa-sync.local) and password
 * exists (a user who only shares its username is never adopted: the account then gets a username of its own), confirmed and not blocked, in a role of its own
 * ("Medusa sync") that has exactly the permissions the sync needs and no others:
 *   - find, create, update and delete on every collection type of the app's own API (the mapped types and
 *     the sync's state types; findOne is not used),
 *   - the bulk-upsert plugin's actions (capability, upsert, find, keys),
 *   - the media library's upload, find and destroy (files the sync uploads for `media` attributes),
 *   - reading the content types (content-type-builder getContentTypes), which the sync's checks compare.
 * It is idempotent and repairs what differs. The password is never logged.
 */

const ROLE_TYPE = 'medusa-sync';
const ROLE_NAME = 'Medusa sync';
const ROLE_UID = 'plugin::users-permissions.role';
const PERMISSION_UID = 'plugin::users-permissions.permission';
const USER_UID = 'plugin::users-permissions.user';
const CONTENT_ACTIONS = ['find', 'create', 'update', 'delete'];
const EXTRA_ACTIONS = [
  'plugin::bulk-upsert.bulk.capability',
  'plugin::bulk-upsert.bulk.upsert',
  'plugin::bulk-upsert.bulk.find',
  'plugin::bulk-upsert.bulk.keys',
  'plugin::content-type-builder.content-types.getContentTypes',
  'plugin::upload.content-api.upload',
  'plugin::upload.content-api.find',
  'plugin::upload.content-api.destroy',
];

/** Every action the sync's role holds. */
function syncActions(strapi) {
  const types = Object.values(strapi.contentTypes).filter((ct) => ct.uid.startsWith('api::') && ct.kind === 'collectionType');
  const actions = types.flatMap((ct) => CONTENT_ACTIONS.map((action) => `${ct.uid}.${action}`));
  const plugins = EXTRA_ACTIONS.filter((action) => {
    const plugin = action.startsWith('plugin::') ? action.slice('plugin::'.length).split('.')[0] : null;
    return plugin === null || plugin === 'content-type-builder' || strapi.plugin(plugin);
  });
  return [...actions, ...plugins].sort();
}

async function ensureRole(strapi) {
  let role = await strapi.db.query(ROLE_UID).findOne({ where: { type: ROLE_TYPE } });
  if (!role) {
    role = await strapi.db.query(ROLE_UID).create({
      data: { name: ROLE_NAME, type: ROLE_TYPE, description: 'The Medusa -> Strapi sync (managed from STRAPI_IDENTIFIER)' },
    });
  }
  const wanted = new Set(syncActions(strapi));
  const held = await strapi.db.query(PERMISSION_UID).findMany({ where: { role: { id: role.id } } });
  const extra = held.filter((p) => !wanted.has(p.action));
  for (const permission of extra) await strapi.db.query(PERMISSION_UID).delete({ where: { id: permission.id } });
  const heldActions = new Set(held.map((p) => p.action));
  const missing = [...wanted].filter((action) => !heldActions.has(action));
  for (const action of missing) await strapi.db.query(PERMISSION_UID).create({ data: { action, role: role.id } });
  if (extra.length || missing.length) {
    strapi.log.info(`[medusa-sync] role "${ROLE_NAME}": ${missing.length} permission(s) added, ${extra.length} removed`);
  }
  return role;
}

async function ensureServiceAccount(strapi) {
  const identifier = (process.env.STRAPI_IDENTIFIER || '').trim();
  const password = process.env.STRAPI_PASSWORD || '';
  if (!identifier || !password) {
    strapi.log.info('[medusa-sync] STRAPI_IDENTIFIER / STRAPI_PASSWORD not set: no service account managed');
    return;
  }
  const role = await ensureRole(strapi);
  const email = identifier.includes('@') ? identifier.toLowerCase() : `${identifier.toLowerCase()}@medusa-sync.local`;
  const username = identifier.includes('@') ? identifier.split('@')[0] : identifier;
  const users = strapi.plugin('users-permissions').service('user');
  // By its exact email only: a user who merely has the same username (an end user, say) is never adopted.
  const user = await strapi.db.query(USER_UID).findOne({ where: { email }, populate: ['role'] });
  if (!user) {
    const namesake = await strapi.db.query(USER_UID).findOne({ where: { username } });
    if (namesake && !identifier.includes('@')) {
      // The sync would sign in by that username and reach the other user: refuse rather than adopt or shadow it.
      throw new Error(`[medusa-sync] STRAPI_IDENTIFIER: a user named "${username}" exists with another email (${namesake.email}); `
        + 'it is not adopted as the service account: set STRAPI_IDENTIFIER to an email of its own');
    }
    // Signing in by email, the account needs a username of its own that no one else has.
    const name = namesake ? `${username}-${Math.random().toString(36).slice(2, 8)}` : username;
    await users.add({ username: name, email, password, provider: 'local', confirmed: true, blocked: false, role: role.id });
    strapi.log.info(`[medusa-sync] created service account ${email} (username "${name}") in role "${ROLE_NAME}"`);
    return;
  }
  if (user.provider && user.provider !== 'local') {
    throw new Error(`[medusa-sync] STRAPI_IDENTIFIER: the user with email ${email} signs in through ${user.provider}, `
      + 'not with a password: refusing to make it the service account; choose another STRAPI_IDENTIFIER');
  }
  const fixes = {};
  if (!user.confirmed) fixes.confirmed = true;
  if (user.blocked) fixes.blocked = false;
  if (!user.role || user.role.id !== role.id) fixes.role = role.id;
  if (!user.password || !(await users.validatePassword(password, user.password))) fixes.password = password;
  if (Object.keys(fixes).length) {
    await users.edit(user.id, fixes);
    strapi.log.info(`[medusa-sync] service account "${user.username}" updated: ${Object.keys(fixes).join(', ')}`);
  }
}

module.exports = { ensureServiceAccount, syncActions, ROLE_TYPE };
