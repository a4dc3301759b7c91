'use strict';

/**
 * The bundled app's doors, closed from its first second:
 *  - the first admin: when STRAPI_ADMIN_EMAIL and STRAPI_ADMIN_PASSWORD are set (scripts/stack sets them, the
 *    password generated and kept 0600 in its state folder) and no admin exists, bootstrap() creates that
 *    super admin, so `POST /admin/register-admin` (open while no admin exists) is closed before the server
 *    listens. An existing admin with that email gets the password back if it differs; other admins are left
 *    alone. Without the variables nothing is created and a warning says the registration is open.
 *  - end-user self-registration (`POST /api/auth/local/register`): the app has no shop users, so Users &
 *    Permissions' "allow register" is turned off at every boot, unless STRAPI_ALLOW_REGISTER=true.
 * Passwords are never logged.
 */

const ADMIN_UID = 'admin::user';

async function ensureFirstAdmin(strapi) {
  const email = (process.env.STRAPI_ADMIN_EMAIL || '').trim().toLowerCase();
  const password = process.env.STRAPI_ADMIN_PASSWORD || '';
  const users = strapi.service('admin::user');
  if (!email || !password) {
    if (!(await strapi.db.query(ADMIN_UID).count())) {
      strapi.log.warn('[medusa-sync] no admin exists and STRAPI_ADMIN_EMAIL / STRAPI_ADMIN_PASSWORD are not set: '
        + 'anyone who reaches /admin/register-admin first becomes super admin');
    }
    return;
  }
  const existing = await strapi.db.query(ADMIN_UID).findOne({ where: { email } });
  if (existing) {
    const auth = strapi.service('admin::auth');
    if (!existing.password || !(await auth.validatePassword(password, existing.password))) {
      await users.updateById(existing.id, { password });
      strapi.log.info(`[medusa-sync] admin ${email}: password reset to STRAPI_ADMIN_PASSWORD`);
    }
    return;
  }
  if (await strapi.db.query(ADMIN_UID).count()) {
    strapi.log.info(`[medusa-sync] an admin already exists: ${email} not created`);
    return;
  }
  // Strapi's own first-admin path (one transaction, locked against a concurrent registration).
  await users.createFirstAdmin({ email, firstname: 'Stack', lastname: 'Admin', password });
  strapi.log.info(`[medusa-sync] created the first admin ${email} (super admin): admin registration is closed`);
}

async function closeSelfRegistration(strapi) {
  if (String(process.env.STRAPI_ALLOW_REGISTER || '').toLowerCase() === 'true') return;
  const store = strapi.store({ type: 'plugin', name: 'users-permissions', key: 'advanced' });
  const advanced = (await store.get()) || {};
  if (advanced.allow_register !== false) {
    await store.set({ value: { ...advanced, allow_register: false } });
    strapi.log.info('[medusa-sync] end-user self-registration turned off (STRAPI_ALLOW_REGISTER=true keeps it on)');
  }
}

module.exports = { ensureFirstAdmin, closeSelfRegistration };
