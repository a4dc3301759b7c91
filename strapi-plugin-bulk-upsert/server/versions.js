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
const DEFAULT_WRITE_OPTIONS = Object.freeze({ publish: 'on_sync', onDelete: 'delete' });
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
  const publish = body.publish || DEFAULT_WRITE_OPTIONS.publish;
  const onDelete = body.onDelete || DEFAULT_WRITE_OPTIONS.onDelete;
  if (!PUBLISH_MODES.has(publish)) throw new BulkError(400, `publish must be one of ${[...PUBLISH_MODES].join(', ')}`);
  if (!DELETE_MODES.has(onDelete)) throw new BulkError(400, `onDelete must be one of ${[...DELETE_MODES].join(', ')}`);
  if (onDelete === 'unpublish' && !hasDraftAndPublish(ct)) throw new BulkError(400, `${ct.uid} has no draft & publish: nothing to unpublish`);
  return { publish, onDelete };
}

/** Strapi's default locale, where `ct` or a type it links to has locales (a row of either is placed by it); else
 * null, and no query (the i18n plugin reads it from its store). */
async function defaultLocaleOf(strapi, ct) {
  const i18n = strapi.plugin('i18n');
  const placed = isLocalized(ct) || Object.values(ct.attributes)
    .some((attr) => attr.type === 'relation' && attr.target && isLocalized(strapi.contentTypes[attr.target]));
  return i18n && placed ? i18n.service('locales').getDefaultLocale() : null;
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

module.exports = { DEFAULT_WRITE_OPTIONS, hasDraftAndPublish, isLocalized, isVersioned, writeOptions, defaultLocaleOf, newRows, linkedRows };
