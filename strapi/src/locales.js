'use strict';

/**
 * The locales content editors write in (Strapi's i18n). STRAPI_LOCALES (comma-separated codes, the first the
 * default; scripts/stack sets "en,fr,de") are created at boot when missing, through i18n's own service, and the
 * first becomes the default locale. Locales an admin added are left alone; nothing is deleted.
 */

const NAMES = { en: 'English', fr: 'French', de: 'German', es: 'Spanish', it: 'Italian', nl: 'Dutch', pt: 'Portuguese' };

function wantedLocales() {
  return String(process.env.STRAPI_LOCALES || '').split(',').map((code) => code.trim()).filter(Boolean);
}

async function ensureLocales(strapi) {
  const codes = wantedLocales();
  const service = strapi.plugin('i18n') && strapi.plugin('i18n').service('locales');
  if (!codes.length || !service) return;
  const existing = new Set((await service.find()).map((locale) => locale.code));
  for (const code of codes) {
    if (existing.has(code)) continue;
    await service.create({ code, name: NAMES[code] ? `${NAMES[code]} (${code})` : code });
    strapi.log.info(`[medusa-sync] locale ${code} created`);
  }
  if ((await service.getDefaultLocale()) !== codes[0]) {
    await service.setDefaultLocale({ code: codes[0] });
    strapi.log.info(`[medusa-sync] default locale set to ${codes[0]}`);
  }
}

module.exports = { ensureLocales };
