'use strict';

// Content types whose entries Strapi keeps as several rows: a document's draft and published version (Draft &
// Publish) and each of its locales (i18n). Strapi links a row to the rows of a target document as its Document
// Service does (seen on Strapi 5.54 over REST):
//   - a target with locales: the source row's own locale when the source has locales, else the default locale;
//   - a target with Draft & Publish: the source row's own status when the source has it, else both versions.
// The batch writer (writer.js) creates such entries itself (their rows and links by these rules) and updates them
// through the Document Service, so that an update touches exactly the rows a REST update touches.

const { BulkError } = require('./schema');

const PUBLISH_MODES = new Set(['on_sync', 'editor']);
const DELETE_MODES = new Set(['delete', 'unpublish']);

function hasDraftAndPublish(ct) {
  return Boolean(ct && ct.options && ct.options.draftAndPublish);
}

function isLocalized(ct) {
  return Boolean(ct && ct.pluginOptions && ct.pluginOptions.i18n && ct.pluginOptions.i18n.localized);
}

/** Whether an entry of `ct` is several rows in Strapi (its updates then go through the Document Service). */
function isVersioned(ct) {
  return hasDraftAndPublish(ct) || isLocalized(ct);
}

/** The batch's write options: `publish` (on_sync: a write publishes, as REST does by default; editor: it writes
 * the draft) and `onDelete` (delete: every locale; unpublish: every locale's published version, drafts stay). */
function writeOptions(ct, body) {
  const publish = body.publish || 'on_sync';
  const onDelete = body.onDelete || 'delete';
  if (!PUBLISH_MODES.has(publish)) throw new BulkError(400, `publish must be one of ${[...PUBLISH_MODES].join(', ')}`);
  if (!DELETE_MODES.has(onDelete)) throw new BulkError(400, `onDelete must be one of ${[...DELETE_MODES].join(', ')}`);
  if (onDelete === 'unpublish' && !hasDraftAndPublish(ct)) throw new BulkError(400, `${ct.uid} has no draft & publish: nothing to unpublish`);
  return { publish, onDelete };
}

/** Strapi's default locale (null without the i18n plugin). */
async function defaultLocaleOf(strapi) {
  const i18n = strapi.plugin('i18n');
  return i18n ? i18n.service('locales').getDefaultLocale() : null;
}

/** The rows a new entry of `ct` is made of: {locale, publishedAt} each (one row for a type without either). */
function newRows(ct, options, defaultLocale, now) {
  const locale = isLocalized(ct) ? defaultLocale : null;
  if (!hasDraftAndPublish(ct)) return [{ locale, publishedAt: now }];
  return options.publish === 'on_sync' ? [{ locale, publishedAt: null }, { locale, publishedAt: now }] : [{ locale, publishedAt: null }];
}

/** The ids of the rows of a target document (`rows`: {id, locale, published_at}) a row of `ct` links to. */
function linkedRows(ct, target, rows, row, defaultLocale) {
  const locale = isLocalized(ct) ? row.locale : defaultLocale;
  return rows.filter((t) => (!isLocalized(target) || t.locale === locale)
    && (!hasDraftAndPublish(target) || !hasDraftAndPublish(ct) || (t.published_at === null) === (row.publishedAt === null)))
    .map((t) => t.id);
}

module.exports = { hasDraftAndPublish, isLocalized, isVersioned, writeOptions, defaultLocaleOf, newRows, linkedRows };
