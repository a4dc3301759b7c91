'use strict';

const { BulkError, contentTypeOf, refusal, keyProblem } = require('./schema');
const { upsertBatch } = require('./writer');
const { isVersioned, writeOptions } = require('./versions');
const { findByKeys, listKeys } = require('./reader');
const { keyIndexed } = require('./version-index');

const DEFAULT_KEY = 'medusa_id';

function fail(ctx, status, message, name = 'BulkUpsertError') {
  ctx.status = status;
  ctx.body = { data: null, error: { status, name, message, details: {} } };
}

async function guarded(ctx, work) {
  try {
    await work();
  } catch (error) {
    if (error instanceof BulkError) return fail(ctx, error.status, error.message);
    throw error; // Strapi's own errors (403 from verify...) keep their status through its error middleware
  }
}

module.exports = ({ strapi }) => ({
  /** GET /api/bulk-upsert/:plural - whether the plugin writes this type, or why not. */
  async capability(ctx) {
    await guarded(ctx, async () => {
      const ct = contentTypeOf(strapi, ctx.params.plural);
      const key = ctx.query.key || DEFAULT_KEY;
      const reason = refusal(strapi, ct) || keyProblem(ct, key);
      // documentService: its updates go through Strapi's Document Service (slower: the client sends smaller batches);
      // keyIndexed: whether the database holds the key unique (a unique index), null where it cannot tell
      const indexed = reason ? null : await keyIndexed(strapi, ct, key);
      ctx.body = { contentType: ct.uid, writable: !reason, reason, documentService: isVersioned(ct), keyIndexed: indexed };
    });
  },

  /** POST /api/bulk-upsert/:plural {key?, entries: [...], deletes: [documentId...]} - one transaction. */
  async upsert(ctx) {
    await guarded(ctx, async () => {
      const ct = contentTypeOf(strapi, ctx.params.plural);
      const body = ctx.request.body || {};
      const key = body.key || DEFAULT_KEY;
      const entries = body.entries || [];
      const deletes = body.deletes || [];
      const reason = refusal(strapi, ct) || (entries.length ? keyProblem(ct, key) : null);
      if (reason) throw new BulkError(422, `cannot bulk-write safely: ${reason}; write it over REST`);
      const scope = [];
      if (entries.length) scope.push(`${ct.uid}.create`, `${ct.uid}.update`);
      if (deletes.length) scope.push(`${ct.uid}.delete`);
      // The route's own permission lets a caller in; writing a type also needs that type's permissions.
      if (scope.length) await strapi.get('auth').verify(ctx.state.auth, { scope });
      ctx.body = await upsertBatch(strapi, ct, key, entries, deletes, ctx.state.auth, writeOptions(ct, body));
    });
  },

  /** POST /api/bulk-upsert/:plural/find {key?, values, fields?, populate?: {relation: [fields]}} - entries
   * whose key is one of `values`, shaped as REST returns them, in one request however many there are. */
  async find(ctx) {
    await guarded(ctx, async () => {
      const ct = contentTypeOf(strapi, ctx.params.plural);
      const body = ctx.request.body || {};
      await strapi.get('auth').verify(ctx.state.auth, { scope: [`${ct.uid}.find`] });
      ctx.body = { data: await findByKeys(strapi, ct, ctx.state.auth, body.key || DEFAULT_KEY, body.values, body.fields, body.populate) };
    });
  },

  /** POST /api/bulk-upsert/:plural/keys {key?, after?, limit?} - {documentId, key} of every entry that has a
   * key, in id order, a page at a time ({next} is the id to continue after, or null). */
  async keys(ctx) {
    await guarded(ctx, async () => {
      const ct = contentTypeOf(strapi, ctx.params.plural);
      const body = ctx.request.body || {};
      await strapi.get('auth').verify(ctx.state.auth, { scope: [`${ct.uid}.find`] });
      ctx.body = await listKeys(strapi, ct, ctx.state.auth, body.key || DEFAULT_KEY, body.after, body.limit);
    });
  },
});
