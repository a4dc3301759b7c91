'use strict';

// The database's guarantee that a key names one entry. A column declared `"column": {"unique": true}` has it. A
// key declared only `"unique": true` does not: that is a check Strapi's REST API makes, and two writers that create
// the same entry at the same moment both pass it. Strapi 5 also stores a document's draft, its published version
// and each of its locales as rows of their own, so a column declared unique cannot hold the same key on those rows.
//
// A content type gets a unique index on its key at every boot when it asks for one:
//   - in its schema: `pluginOptions['bulk-upsert'].uniqueKey` (what `medusa-strapi strapi-schema` generates), or
//   - in the plugin's config, for content types someone else designed, without touching their schema files:
//     `'bulk-upsert': { config: { uniqueKeys: { 'api::product.product': 'medusaId' } } }` in config/plugins.js.
// The index is on (key) for a type with one row per entry, on (key, locale, draft or published) for one with
// several: one row per version, never two entries for one key. A type that already holds duplicates keeps them;
// the index is not created and the log says which keys, so nothing is deleted behind anyone's back.

const { isPostgres } = require('./rows');
const { isVersioned } = require('./versions');

/** The key a content type asks to be unique through its schema, or null. */
function uniqueKeyOf(ct) {
  const options = ct.pluginOptions && ct.pluginOptions['bulk-upsert'];
  return options && typeof options.uniqueKey === 'string' ? options.uniqueKey : null;
}

/** uid -> key of every content type that asks for a unique key index: its schema's, else the plugin config's. */
function uniqueKeys(strapi) {
  const configured = (strapi.plugin('bulk-upsert') && strapi.plugin('bulk-upsert').config('uniqueKeys')) || {};
  const keys = new Map();
  for (const ct of Object.values(strapi.contentTypes)) {
    const key = uniqueKeyOf(ct) || (typeof configured[ct.uid] === 'string' ? configured[ct.uid] : null);
    if (key) keys.set(ct.uid, key);
  }
  for (const uid of Object.keys(configured)) {
    if (!strapi.contentTypes[uid]) strapi.log.error(`[bulk-upsert] uniqueKeys: no content type ${uid}; no index`);
  }
  return keys;
}

/** The index's name: Postgres keeps 63 characters of a name; a hash of the table keeps long ones apart. */
function indexName(table, column, versioned = true) {
  const name = `${table}_${column}_${versioned ? 'per_version_uq' : 'key_uq'}`;
  if (name.length <= 63) return name;
  const hash = require('crypto').createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, 54)}_${hash}`;
}

/** Create the unique key index of every content type that asks for one (Postgres; others are left to their
 * column's own constraint). Returns the names of the indexes that exist now. */
async function ensureVersionIndexes(strapi) {
  const knex = strapi.db.connection;
  if (!isPostgres(knex)) return [];
  const made = [];
  for (const [uid, key] of uniqueKeys(strapi)) {
    const ct = strapi.contentTypes[uid];
    const meta = strapi.db.metadata.get(uid);
    const attr = meta.attributes[key];
    if (!attr || !attr.columnName) {
      strapi.log.error(`[bulk-upsert] ${uid}: uniqueKey ${JSON.stringify(key)} is not an attribute; no index`);
      continue;
    }
    const versioned = isVersioned(ct);
    const name = indexName(meta.tableName, attr.columnName, versioned);
    const per = versioned ? ', coalesce(locale, \'\'), (published_at is null)' : '';
    try {
      await knex.raw(`create unique index if not exists ?? on ?? (??${per})`, [name, meta.tableName, attr.columnName]);
      made.push(name);
    } catch (error) {
      const { rows } = await knex.raw(
        `select ?? as key from ?? where ?? is not null group by ??${per} having count(*) > 1 limit 5`,
        [attr.columnName, meta.tableName, attr.columnName, attr.columnName],
      ).catch(() => ({ rows: [] }));
      const keys = rows.map((r) => JSON.stringify(r.key)).join(', ');
      strapi.log.error(`[bulk-upsert] ${uid}: no unique index on (${key}${versioned ? ', locale, status' : ''}): ${error.message}`
        + (keys ? `; keys held twice: ${keys}` : ''));
    }
  }
  return made;
}

/** Whether a unique index of the database starts with `key`'s column (Postgres; null where it cannot tell). */
async function keyIndexed(strapi, ct, key) {
  const knex = strapi.db.connection;
  if (!isPostgres(knex)) return null;
  const meta = strapi.db.metadata.get(ct.uid);
  const attr = meta.attributes[key];
  if (!attr || !attr.columnName) return false;
  const { rows } = await knex.raw(
    'select 1 from pg_index i join pg_class t on t.oid = i.indrelid '
    + 'join pg_attribute a on a.attrelid = t.oid and a.attnum = i.indkey[0] '
    + 'where t.relname = ? and a.attname = ? and i.indisunique limit 1',
    [meta.tableName, attr.columnName],
  );
  return rows.length > 0;
}

module.exports = { ensureVersionIndexes, uniqueKeyOf, uniqueKeys, indexName, keyIndexed };
