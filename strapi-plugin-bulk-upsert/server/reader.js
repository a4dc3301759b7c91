'use strict';

// Reading many entries by key in one request (REST pages 100 at a time): the sync's view of what Strapi
// holds, for a batch of thousands of keys. A read is the REST query the caller could have sent
// (`fields`, `populate`, a filter on the key), put through Strapi's own content-API rules for the caller's
// credentials: validated (an invalid, private or creator key is a 400, as REST answers), sanitized (relations
// the caller may not `find` are left out, as REST leaves them out) and the entries sanitized on the way out.

const { BulkError, hasAttribute } = require('./schema');
const { chunks } = require('./rows');

const MAX_VALUES = 20000;

function checkNames(ct, names, what) {
  for (const name of names) {
    if (typeof name !== 'string' || !hasAttribute(ct, name) && name !== 'documentId') {
      throw new BulkError(400, `${what}: Invalid key ${JSON.stringify(name)}`);
    }
  }
}

/** The content-API query `{fields, populate, filters}` for a read by `key`, as REST would take it. */
function restQuery(strapi, ct, key, fields, populate) {
  if (fields !== undefined && fields !== null && !Array.isArray(fields)) throw new BulkError(400, 'fields must be a list of attribute names');
  if (populate !== undefined && populate !== null && (typeof populate !== 'object' || Array.isArray(populate))) {
    throw new BulkError(400, 'populate must be an object {relation: [fields]}');
  }
  checkNames(ct, [key, ...(fields || [])], 'fields');
  const query = { fields: [...new Set([key, ...(fields || [])])].filter((n) => n !== 'documentId'), filters: { [key]: { $in: ['-'] } } };
  const relations = Object.entries(populate || {});
  if (relations.length) query.populate = {};
  for (const [name, relFields] of relations) {
    const attr = hasAttribute(ct, name) ? ct.attributes[name] : null;
    if (!attr || attr.type !== 'relation') throw new BulkError(400, `populate: ${JSON.stringify(name)} is not a relation of ${ct.uid}`);
    if (relFields !== undefined && relFields !== null && !Array.isArray(relFields)) throw new BulkError(400, `populate.${name} must be a list of fields`);
    const target = attr.target && strapi.contentTypes[attr.target];
    if (!target) throw new BulkError(400, `populate: ${JSON.stringify(name)} relates to no content type`);
    checkNames(target, relFields || [], `populate.${name}`);
    query.populate[name] = { fields: (relFields || []).filter((n) => n !== 'documentId') };
  }
  return query;
}

/**
 * The query a caller (`auth`, the request's ctx.state.auth) may run: Strapi's content-API validation (throws
 * its ValidationError, a 400) then sanitization (drops what the caller may not read).
 */
async function permittedQuery(strapi, ct, query, auth) {
  await strapi.contentAPI.validate.query(query, ct, { auth });
  return strapi.contentAPI.sanitize.query(query, ct, { auth });
}

/** Entries of `ct` whose `key` is in `values`, with `fields` and `populate` ({relation: [fields]}), as `auth` may
 * read them through REST. */
async function findByKeys(strapi, ct, auth, key, values, fields = [], populate = {}) {
  if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) throw new BulkError(400, 'values must be a list of strings');
  if (values.length > MAX_VALUES) throw new BulkError(413, `at most ${MAX_VALUES} values per request`);
  const query = await permittedQuery(strapi, ct, restQuery(strapi, ct, key, fields, populate), auth);
  if (!(query.fields || []).includes(key)) throw new BulkError(400, `fields: Invalid key ${JSON.stringify(key)}`);
  publishedTargetsOnly(strapi, ct, query);
  const { where, ...dbQuery } = strapi.get('query-params').transform(ct.uid, { fields: query.fields, populate: query.populate });
  const out = [];
  for (const part of chunks([...new Set(values)], 5000)) {
    const rows = await strapi.db.query(ct.uid).findMany({ ...dbQuery, where: { [key]: { $in: part } } });
    out.push(...await strapi.contentAPI.sanitize.output(rows, ct, { auth }));
  }
  return out.map((entry) => shaped(entry, query));
}

/** An entry of a type without draft & publish is live, and links to every version of a target that has it;
 * REST shows it the published ones: so does this read. */
function publishedTargetsOnly(strapi, ct, query) {
  if (ct.options && ct.options.draftAndPublish) return;
  for (const [name, relation] of Object.entries(query.populate || {})) {
    const target = strapi.contentTypes[ct.attributes[name].target];
    if (target && target.options && target.options.draftAndPublish) relation.filters = { publishedAt: { $notNull: true } };
  }
}

/** Every requested field present (null when unset), as the sync compares them. */
function shaped(entry, query) {
  const out = { id: entry.id, documentId: entry.documentId };
  for (const name of query.fields || []) out[name] = entry[name] === undefined ? null : entry[name];
  for (const name of Object.keys(query.populate || {})) out[name] = entry[name] === undefined ? null : entry[name];
  return out;
}

const MAX_PAGE = 50000;

/** One page of {documentId, key} of the entries that have a key, with id > `after`, in id order; `key` must be
 * an attribute `auth` may read and filter on through REST. */
async function listKeys(strapi, ct, auth, key, after = 0, limit = 20000) {
  checkNames(ct, [key], 'key');
  if (!Number.isInteger(after) || after < 0) throw new BulkError(400, 'after must be an entry id (a whole number)');
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw new BulkError(400, `limit must be 1..${MAX_PAGE}`);
  const query = await permittedQuery(strapi, ct, { fields: [key], filters: { [key]: { $notNull: true } } }, auth);
  if (!(query.fields || []).includes(key)) throw new BulkError(400, `key: Invalid key ${JSON.stringify(key)}`);
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
