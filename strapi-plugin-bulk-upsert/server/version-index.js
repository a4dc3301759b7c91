'use strict';

// The uniqueness of a key where Strapi keeps several rows per entry. Strapi 5 stores a document's draft, its
// published version and each of its locales as rows of their own, so a column declared unique cannot hold the
// same key on those rows. A content type that names its key in `pluginOptions['bulk-upsert'].uniqueKey` gets,
// at every boot, a unique index on (key, locale, draft or published) instead: one row per version, as many
// versions as Strapi keeps, never two entries for one key. A type that already holds duplicates keeps them;
// the index is not created and the log says which keys, so nothing is deleted behind anyone's back.

const { isPostgres } = require('./rows');

/** The key a content type asks to be unique per version, or null. */
function uniqueKeyOf(ct) {
  const options = ct.pluginOptions && ct.pluginOptions['bulk-upsert'];
  return options && typeof options.uniqueKey === 'string' ? options.uniqueKey : null;
}

/** The index's name: Postgres keeps 63 characters of a name; a hash of the table keeps long ones apart. */
function indexName(table, column) {
  const name = `${table}_${column}_per_version_uq`;
  if (name.length <= 63) return name;
  const hash = require('crypto').createHash('sha256').update(name).digest('hex').slice(0, 8);
  return `${name.slice(0, 54)}_${hash}`;
}

/** Create the per-version unique index of every content type that asks for one (Postgres; others are left to
 * their column's own constraint). Returns the names of the indexes that exist now. */
async function ensureVersionIndexes(strapi) {
  const knex = strapi.db.connection;
  if (!isPostgres(knex)) return [];
  const made = [];
  for (const ct of Object.values(strapi.contentTypes)) {
    const key = uniqueKeyOf(ct);
    if (!key) continue;
    const meta = strapi.db.metadata.get(ct.uid);
    const attr = meta.attributes[key];
    if (!attr || !attr.columnName) {
      strapi.log.error(`[bulk-upsert] ${ct.uid}: uniqueKey ${JSON.stringify(key)} is not an attribute; no index`);
      continue;
    }
    const name = indexName(meta.tableName, attr.columnName);
    try {
      await knex.raw(
        'create unique index if not exists ?? on ?? (??, coalesce(locale, \'\'), (published_at is null))',
        [name, meta.tableName, attr.columnName],
      );
      made.push(name);
    } catch (error) {
      const { rows } = await knex.raw(
        'select ?? as key from ?? where ?? is not null group by ??, coalesce(locale, \'\'), (published_at is null) having count(*) > 1 limit 5',
        [attr.columnName, meta.tableName, attr.columnName, attr.columnName],
      ).catch(() => ({ rows: [] }));
      const keys = rows.map((r) => JSON.stringify(r.key)).join(', ');
      strapi.log.error(`[bulk-upsert] ${ct.uid}: no unique index on (${key}, locale, status): ${error.message}`
        + (keys ? `; keys held twice: ${keys}` : ''));
    }
  }
  return made;
}

module.exports = { ensureVersionIndexes, uniqueKeyOf, indexName };
