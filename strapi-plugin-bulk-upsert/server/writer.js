'use strict';

// One batch of one content type, written in one transaction: creates (rows.js: one array insert on Postgres),
// updates of the given attributes (Strapi's Query Engine; the Document Service for a type with Draft & Publish or
// locales, versions.js), relation links, deletes. Entries that fail a check are reported and left out; a database
// error rolls the whole batch back (the client retries entry by entry).

const { BulkError, checkEntry, missingRequired } = require('./schema');
const { setLinks } = require('./links');
const { newDocumentId } = require('./document-ids');
const { insertEntries, rowKey, rowsWhereIn, whereAny, chunks } = require('./rows');
const { noteWrites } = require('./statistics');
const { validateShapes } = require('./permissions');
const { DEFAULT_WRITE_OPTIONS, isVersioned, defaultLocaleOf, newRows, linkedRows } = require('./versions');

const MAX_ENTRIES = 5000;
const RACE_ATTEMPTS = 3; // a concurrent writer created the same key: the next attempt finds it and updates

function isUniqueViolation(error) {
  return error && (error.code === '23505' || /unique/i.test(String(error.message || '')) && /duplicate|constraint/i.test(String(error.message)));
}

/** The database's own words, without the SQL text knex puts in front of them. */
function databaseReason(error) {
  const text = String((error && error.message) || error);
  const reason = text.includes(' - ') ? text.slice(text.lastIndexOf(' - ') + 3) : text;
  return reason.length > 300 ? `${reason.slice(0, 300)}...` : reason;
}

/** The upload plugin's table linking files to entries (files_related_mph), with its entry id and type columns. */
function mediaLinkTable(strapi) {
  const file = strapi.db.metadata.get('plugin::upload.file');
  const joinTable = file && file.attributes.related && file.attributes.related.joinTable;
  if (!joinTable || !joinTable.morphColumn) return null;
  return { name: joinTable.name, id: joinTable.morphColumn.idColumn.name, type: joinTable.morphColumn.typeColumn.name };
}

/** Remove the media links of the entries `ids` of `ct` (their files stay in the library, as Strapi's own delete leaves them). */
async function deleteMediaLinks(strapi, trx, ct, ids) {
  if (!ids.length || !Object.values(ct.attributes).some((attribute) => attribute.type === 'media')) return;
  const table = mediaLinkTable(strapi);
  if (!table) return;
  for (const chunk of chunks(ids)) await whereAny(trx, trx(table.name), table.id, chunk, 'integer').andWhere(table.type, ct.uid).del();
}

/**
 * Upsert `entries` (objects holding `key`) and delete `deletes` (documentIds) of content type `ct`.
 * `auth` (the request's ctx.state.auth) is held to Strapi's content-API input rules (permissions.js).
 * Returns {results: [{key, status, documentId} | {key, status: 'error', error}], deleted: [{documentId, status}]}.
 */
async function upsertBatch(strapi, ct, key, entries, deletes, auth = undefined, options = DEFAULT_WRITE_OPTIONS) {
  if (!Array.isArray(entries) || !Array.isArray(deletes)) throw new BulkError(400, 'entries and deletes must be lists');
  if (entries.length + deletes.length > MAX_ENTRIES) throw new BulkError(413, `at most ${MAX_ENTRIES} entries and deletes per batch`);
  if (!deletes.every((d) => typeof d === 'string' && d)) throw new BulkError(400, 'deletes must be documentIds');

  const checked = entries.map((entry) => checkEntry(ct, entry, key));
  const seen = new Set();
  checked.forEach((c, i) => {
    if (c.error) return;
    const value = entries[i][key];
    if (seen.has(value)) checked[i] = { error: `${key} ${JSON.stringify(value)} appears twice in the batch` };
    seen.add(value);
  });
  await validateShapes(strapi, ct, checked.filter((c) => !c.error).map((c) => c.data), auth);

  for (let attempt = 1; ; attempt += 1) {
    try {
      const written = new Map();
      const context = { options, defaultLocale: await defaultLocaleOf(strapi, ct) };
      const outcome = await strapi.db.transaction(({ trx }) => writeBatch(strapi, trx, ct, key, entries, checked, deletes, written, context));
      noteWrites(strapi, written);
      return outcome;
    } catch (error) {
      if (isUniqueViolation(error) && attempt < RACE_ATTEMPTS) continue;
      if (error instanceof BulkError) throw error;
      throw new BulkError(409, `batch rolled back, nothing written: ${databaseReason(error)}`);
    }
  }
}

/**
 * The batch's steps, in one transaction: lock the entries that exist, leave out those whose links or required
 * attributes are missing, create, update, link the relations, report each entry, delete. `written` collects the
 * rows inserted or deleted per table, and the columns rows are looked up by (for statistics.js).
 */
async function writeBatch(strapi, trx, ct, key, entries, checked, deletes, written, context) {
  const batch = startBatch(strapi, trx, ct, key, entries, checked, written, context);
  await lockExisting(batch);
  await leaveOutUnwritable(batch);
  await createEntries(batch);
  await updateEntries(batch);
  await linkRelations(batch);
  reportWrites(batch);
  const deleted = await deleteEntries(batch, deletes);
  return { results: batch.results, deleted };
}

/** What the steps share: the type's metadata, the entries and their checks, and what each step found. */
function startBatch(strapi, trx, ct, key, entries, checked, written, context = {}) {
  const meta = strapi.db.metadata.get(ct.uid);
  const column = (name) => (meta.attributes[name] && meta.attributes[name].columnName) || name;
  return {
    strapi, trx, ct, key, entries, checked, meta,
    options: context.options || DEFAULT_WRITE_OPTIONS,
    defaultLocale: context.defaultLocale || null,
    versioned: isVersioned(ct), // several rows per entry: updated through the Document Service
    keyColumn: column(key),
    now: new Date(),
    relationNames: Object.keys(ct.attributes).filter((n) => ct.attributes[n].type === 'relation'),
    results: entries.map((entry, i) => (checked[i].error
      ? { key: entry && entry[key], status: 'error', error: { status: 400, message: checked[i].error } }
      : null)),
    pending: checked.map((c, i) => (c.error ? null : i)).filter((i) => i !== null), // entries that passed the checks
    existing: new Map(), // key -> {id, documentId} of the entries already there, locked (id: of a single-row entry)
    created: new Map(), // key -> {documentId, rows: [{id, locale, publishedAt}]} of the entries this batch created
    writable: [], // indexes of the entries to write
    targetIds: new Map(), // target uid -> documentId -> its rows [{id, locale, published_at}]
    count(table, rows, columns = null) {
      const seen = written.get(table) || { rows: 0, columns };
      written.set(table, { rows: seen.rows + rows, columns });
    },
  };
}

/** Lock the rows of the entries that exist already (FOR UPDATE), so that a concurrent batch waits. */
async function lockExisting(batch) {
  const { trx, meta, keyColumn, pending, entries, key } = batch;
  const current = await rowsWhereIn(trx, meta.tableName, ['id', 'document_id', keyColumn], keyColumn, pending.map((i) => entries[i][key]), { forUpdate: true });
  for (const row of current) batch.existing.set(row[keyColumn], { id: batch.versioned ? null : row.id, documentId: row.document_id });
}

/** Report and leave out entries linking to a target that is not there, and new entries missing a required attribute. */
async function leaveOutUnwritable(batch) {
  const { strapi, trx, ct, key, checked, relationNames, pending, existing, results } = batch;
  batch.targetIds = await resolveTargets(strapi, trx, ct, relationNames, pending.map((i) => checked[i].data));
  for (const i of pending) {
    const data = checked[i].data;
    const missing = missingLink(ct, relationNames, data, batch.targetIds) || (!existing.has(data[key]) && missingRequired(ct, data));
    if (missing) results[i] = { key: data[key], status: 'error', error: { status: 400, message: missing } };
    else batch.writable.push(i);
  }
}

/** Insert the new entries (their scalar attributes; relations are linked by `linkRelations`): a row each, or, for
 * a type with Draft & Publish or locales, the rows Strapi makes of a new entry (versions.js `newRows`). */
async function createEntries(batch) {
  const { strapi, trx, ct, key, checked, writable, existing, now, options, defaultLocale } = batch;
  const rows = [];
  for (const i of writable.filter((n) => !existing.has(checked[n].data[key]))) {
    const documentId = newDocumentId();
    const versions = newRows(ct, options, defaultLocale, now);
    batch.created.set(checked[i].data[key], { documentId, rows: versions });
    for (const version of versions) rows.push({ ...checked[i].data, documentId, createdAt: now, updatedAt: now, ...version });
  }
  const newIds = await insertEntries(strapi, trx, ct, rows);
  for (const entry of batch.created.values()) {
    entry.rows = entry.rows.map((version) => ({ ...version, id: newIds.get(rowKey(entry.documentId, version.publishedAt !== null)) }));
  }
}

/** Update the given attributes of the entries that exist: the scalar ones row by row (Strapi's Query Engine), or,
 * for a type with Draft & Publish or locales, through the Document Service (relations included), as REST would. */
async function updateEntries(batch) {
  const { strapi, ct, key, checked, writable, existing, relationNames, now } = batch;
  const relations = new Set(relationNames);
  const status = batch.options.publish === 'on_sync' ? 'published' : undefined;
  for (const i of writable) {
    const data = checked[i].data;
    const row = existing.get(data[key]);
    if (!row) continue;
    if (batch.versioned) {
      await strapi.documents(ct.uid).update({ documentId: row.documentId, data, status });
      continue;
    }
    const values = {};
    for (const name of Object.keys(data)) if (!relations.has(name) && name !== key) values[name] = data[name];
    await strapi.db.query(ct.uid).updateMany({ where: { id: row.id }, data: { ...values, updatedAt: now } });
  }
}

/** Set each relation the entries give to exactly the targets given (links.js), in the targets' order. */
async function linkRelations(batch) {
  const { strapi, trx, ct, key, checked, writable, existing, created, meta, relationNames, targetIds, defaultLocale } = batch;
  const freshIds = new Set([...created.values()].flatMap((entry) => entry.rows.map((row) => row.id)));
  for (const name of relationNames) {
    const wanted = new Map();
    const targetUid = ct.attributes[name].target;
    for (const i of writable) {
      const data = checked[i].data;
      if (!(name in data)) continue;
      const fresh = created.get(data[key]);
      if (!fresh && batch.versioned) continue; // updated through the Document Service
      const value = data[name];
      const docs = value === null ? [] : Array.isArray(value) ? value : [value];
      for (const row of fresh ? fresh.rows : [{ id: existing.get(data[key]).id, locale: null, publishedAt: null }]) {
        wanted.set(row.id, docs.flatMap((d) => linkedRows(ct, strapi.contentTypes[targetUid], targetIds.get(targetUid).get(d), row, defaultLocale)));
      }
    }
    const { joinTable } = meta.attributes[name];
    if (wanted.size) {
      batch.count(joinTable.name, await setLinks(trx, meta.attributes[name], wanted, freshIds),
        [joinTable.joinColumn.name, joinTable.inverseJoinColumn.name]);
    }
  }
}

/** Each written entry's result: created or updated, with its documentId. */
function reportWrites(batch) {
  const { key, checked, writable, existing, created, results } = batch;
  for (const i of writable) {
    const data = checked[i].data;
    const isNew = !existing.has(data[key]);
    const entry = isNew ? created.get(data[key]) : existing.get(data[key]);
    results[i] = { key: data[key], status: isNew ? 'created' : 'updated', documentId: entry.documentId };
  }
}

/** Delete the entries `deletes` (documentIds): every row of each (every locale, draft and published), or, with
 * `onDelete: unpublish`, their published rows only; with their media links. Each reported deleted or missing. */
async function deleteEntries(batch, deletes) {
  const { strapi, trx, ct, meta } = batch;
  const unpublish = batch.options.onDelete === 'unpublish';
  const found = new Set();
  const ids = [];
  for (const row of await rowsWhereIn(trx, meta.tableName, ['id', 'document_id', 'published_at'], 'document_id', deletes)) {
    found.add(row.document_id);
    if (!unpublish || row.published_at !== null) ids.push(row.id);
  }
  // Link rows go with their entries (ON DELETE CASCADE on every link table); media links live in the upload
  // plugin's polymorphic table, which has no foreign key to the entry, so they go by hand.
  await deleteMediaLinks(strapi, trx, ct, ids);
  for (const part of chunks(ids)) await whereAny(trx, trx(meta.tableName), 'id', part, 'integer').del();
  batch.count(meta.tableName, batch.created.size + ids.length, ['document_id']);
  return deletes.map((documentId) => ({ documentId, status: found.has(documentId) ? 'deleted' : 'missing' }));
}

/** Map target uid -> (documentId -> its rows [{id, locale, published_at}]) for every documentId the entries link to. */
async function resolveTargets(strapi, trx, ct, relationNames, datas) {
  const wanted = new Map();
  for (const name of relationNames) {
    const target = ct.attributes[name].target;
    if (!wanted.has(target)) wanted.set(target, new Set());
    for (const data of datas) {
      const value = data[name];
      if (value === undefined || value === null) continue;
      for (const doc of Array.isArray(value) ? value : [value]) wanted.get(target).add(doc);
    }
  }
  const found = new Map();
  for (const [target, docs] of wanted) {
    const byDocument = new Map();
    for (const row of await rowsWhereIn(trx, strapi.db.metadata.get(target).tableName, ['id', 'document_id', 'locale', 'published_at'], 'document_id', [...docs])) {
      if (!byDocument.has(row.document_id)) byDocument.set(row.document_id, []);
      byDocument.get(row.document_id).push(row);
    }
    found.set(target, byDocument);
  }
  return found;
}

function missingLink(ct, relationNames, data, targetIds) {
  for (const name of relationNames) {
    const value = data[name];
    if (value === undefined || value === null) continue;
    const target = ct.attributes[name].target;
    const unknown = (Array.isArray(value) ? value : [value]).filter((doc) => !targetIds.get(target).has(doc));
    if (unknown.length) return `${name}: Invalid relations: no ${target} with documentId ${unknown.slice(0, 5).map((d) => JSON.stringify(d)).join(', ')}`;
  }
  return null;
}

// The steps, for their tests (test/writer.test.js).
const steps = { startBatch, reportWrites, missingLink };

module.exports = { upsertBatch, MAX_ENTRIES, steps };
