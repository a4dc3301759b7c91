'use strict';

// Batches of a content type whose entries Strapi keeps as several rows (Draft & Publish, locales), or that links
// to such a type: written through Strapi's own Document Service, entry by entry, inside the batch's one
// transaction. Drafts, published versions, locales and the links between them (a draft to drafts, a published
// version to published ones, a locale to the same locale, a type without either to every version) are then
// exactly what Strapi writes for a REST request; what the batch saves is REST's cost per request (routing,
// authentication, sanitizing, JSON, a round trip), not Strapi's cost per entry.

const { BulkError, missingRequired } = require('./schema');
const { rowsWhereIn } = require('./rows');

const PUBLISH_MODES = new Set(['on_sync', 'editor']);
const DELETE_MODES = new Set(['delete', 'unpublish']);

function hasDraftAndPublish(ct) {
  return Boolean(ct && ct.options && ct.options.draftAndPublish);
}

function isLocalized(ct) {
  return Boolean(ct && ct.pluginOptions && ct.pluginOptions.i18n && ct.pluginOptions.i18n.localized);
}

/** Whether an entry of `ct` is several rows in Strapi, or links to a type whose entries are. */
function needsDocumentService(strapi, ct) {
  const versioned = (type) => hasDraftAndPublish(type) || isLocalized(type);
  return versioned(ct) || Object.values(ct.attributes)
    .some((attr) => attr.type === 'relation' && attr.target && versioned(strapi.contentTypes[attr.target]));
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

/**
 * The batch, through the Document Service (in the caller's transaction): each entry that passed its checks is
 * created or updated in the default locale (published or as a draft, by `options.publish`), each delete applied
 * to every locale. `steps` holds the writer's shared checks (relation targets, required attributes).
 */
async function writeDocuments(strapi, trx, ct, key, entries, checked, deletes, options, steps) {
  const meta = strapi.db.metadata.get(ct.uid);
  const keyColumn = (meta.attributes[key] && meta.attributes[key].columnName) || key;
  const documents = strapi.documents(ct.uid);
  const status = hasDraftAndPublish(ct) && options.publish === 'on_sync' ? 'published' : undefined;
  const results = entries.map((entry, i) => (checked[i].error
    ? { key: entry && entry[key], status: 'error', error: { status: 400, message: checked[i].error } } : null));
  const pending = checked.map((c, i) => (c.error ? null : i)).filter((i) => i !== null);

  const existing = new Map(); // key -> documentId, the entry's rows locked
  const keys = pending.map((i) => entries[i][key]);
  for (const row of await rowsWhereIn(trx, meta.tableName, ['document_id', keyColumn], keyColumn, keys, { forUpdate: true })) {
    existing.set(row[keyColumn], row.document_id);
  }
  const relationNames = Object.keys(ct.attributes).filter((n) => ct.attributes[n].type === 'relation');
  const targetIds = await steps.resolveTargets(strapi, trx, ct, relationNames, pending.map((i) => checked[i].data));
  for (const i of pending) {
    const data = checked[i].data;
    const documentId = existing.get(data[key]);
    const missing = steps.missingLink(ct, relationNames, data, targetIds) || (!documentId && missingRequired(ct, data));
    if (missing) {
      results[i] = { key: data[key], status: 'error', error: { status: 400, message: missing } };
    } else if (documentId) {
      await documents.update({ documentId, data, status });
      results[i] = { key: data[key], status: 'updated', documentId };
    } else {
      const created = await documents.create({ data, status });
      existing.set(data[key], created.documentId); // the same key later in the batch was refused as a duplicate
      results[i] = { key: data[key], status: 'created', documentId: created.documentId };
    }
  }

  const present = new Set((await rowsWhereIn(trx, meta.tableName, ['document_id'], 'document_id', deletes)).map((r) => r.document_id));
  const locale = isLocalized(ct) ? '*' : undefined;
  for (const documentId of deletes.filter((d) => present.has(d))) {
    if (options.onDelete === 'unpublish') await documents.unpublish({ documentId, locale });
    else await documents.delete({ documentId, locale });
  }
  return { results, deleted: deletes.map((documentId) => ({ documentId, status: present.has(documentId) ? 'deleted' : 'missing' })) };
}

module.exports = { needsDocumentService, writeOptions, writeDocuments, hasDraftAndPublish, isLocalized };
