'use strict';

// Reading many entries by key in one request (REST pages 100 at a time): the sync's view of what Strapi
// holds, for a batch of thousands of keys.

const { BulkError } = require('./schema');
const { chunks } = require('./rows');

const MAX_VALUES = 20000;

function checkNames(ct, names, what) {
  for (const name of names) {
    if (typeof name !== 'string' || !(name in ct.attributes) && name !== 'documentId') {
      throw new BulkError(400, `${what}: Invalid key ${JSON.stringify(name)}`);
    }
  }
}

/** Entries of `ct` whose `key` is in `values`, with `fields` and `populate` ({relation: [fields]}). */
async function findByKeys(strapi, ct, key, values, fields = [], populate = {}) {
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) throw new BulkError(400, 'values must be a list of strings');
  if (values.length > MAX_VALUES) throw new BulkError(413, `at most ${MAX_VALUES} values per request`);
  checkNames(ct, [key, ...(fields || [])], 'fields');
  const relations = Object.entries(populate || {});
  const populateQuery = {};
  for (const [name, relFields] of relations) {
    const attr = ct.attributes[name];
    if (!attr || attr.type !== 'relation') throw new BulkError(400, `populate: ${JSON.stringify(name)} is not a relation of ${ct.uid}`);
    checkNames(strapi.contentTypes[attr.target], relFields || [], `populate.${name}`);
    populateQuery[name] = { select: ['id', 'documentId', ...(relFields || [])] };
  }
  const select = [...new Set(['id', 'documentId', key, ...(fields || [])])].filter((n) => !ct.attributes[n] || ct.attributes[n].type !== 'relation');
  const out = [];
  for (const part of chunks([...new Set(values)], 5000)) {
    const rows = await strapi.db.query(ct.uid).findMany({ where: { [key]: { $in: part } }, select, populate: populateQuery });
    for (const row of rows) {
      const entry = { id: row.id, documentId: row.documentId };
      for (const name of select) entry[name] = row[name] === undefined ? null : row[name];
      for (const [name] of relations) entry[name] = row[name] === undefined ? null : row[name];
      out.push(entry);
    }
  }
  return out;
}

const MAX_PAGE = 50000;

/** One page of {documentId, key} of the entries that have a key, with id > `after`, in id order. */
async function listKeys(strapi, ct, key, after = 0, limit = 20000) {
  checkNames(ct, [key], 'key');
  if (!Number.isInteger(after) || after < 0) throw new BulkError(400, 'after must be an entry id (a whole number)');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new BulkError(400, `limit must be 1..${MAX_PAGE}`);
  const meta = strapi.db.metadata.get(ct.uid);
  const column = (meta.attributes[key] && meta.attributes[key].columnName) || key;
  const rows = await strapi.db.connection(meta.tableName).select('id', 'document_id', column)
    .where('id', '>', after).whereNotNull(column).orderBy('id').limit(limit);
  return {
    data: rows.map((row) => ({ documentId: row.document_id, [key]: row[column] })),
    next: rows.length === limit ? rows[rows.length - 1].id : null,
  };
}

module.exports = { findByKeys, listKeys };
