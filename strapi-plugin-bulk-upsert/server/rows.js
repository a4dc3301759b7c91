'use strict';

// Entry rows straight into a content type's table. On Postgres, a batch of new entries is one
// `INSERT ... SELECT * FROM unnest(...)` with one array parameter per column: Postgres parses and binds a dozen
// parameters instead of one per value (createMany's multi-row VALUES), which halves its cost of a create, and
// knex builds no statement of thousands of placeholders. Values are converted as Strapi's Query Engine converts
// them (its fields' `toDB`), so an entry reads back through REST exactly as if createMany had written it.
// Other databases take createMany.

const CHUNK = 5000; // values per lookup and rows per insert (a few array parameters; far under 65,535 where each value is one)

function chunks(list, size = CHUNK) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** An attribute's value as Strapi's Query Engine hands it to the database driver (@strapi/database fields). */
function columnValue(attr, value) {
  if (value === null || value === undefined) return null;
  switch (attr.type) {
    case 'json':
    case 'blocks':
      return typeof value === 'object' ? JSON.stringify(value) : value;
    case 'integer':
    case 'float':
    case 'decimal':
      return typeof value === 'number' ? value : Number(String(value).trim());
    case 'biginteger':
      return BigInt(String(value).trim()).toString();
    case 'boolean':
      return typeof value === 'boolean' ? value : ['true', 't', '1', 1].includes(value);
    case 'datetime':
    case 'timestamp':
      return value instanceof Date ? value : parseDateTime(value);
    case 'date':
      return value instanceof Date ? isoDate(value) : String(value).match(/^\d{4}-\d{2}-\d{2}/)[0];
    case 'time':
      return normalTime(value);
    default:
      return String(value);
  }
}

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3})\d*)?)?$/;

/** An ISO date or date-time as date-fns' parseISO (Strapi's parser) reads it: without an offset, local time. */
function parseDateTime(value) {
  const text = String(value);
  const day = text.match(DATE_ONLY);
  if (day) return new Date(Number(day[1]), Number(day[2]) - 1, Number(day[3]));
  const local = text.match(LOCAL_DATE_TIME);
  if (local) {
    const [, y, mo, d, h, mi, s = '0', ms = '0'] = local;
    return new Date(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(ms.padEnd(3, '0')));
  }
  return new Date(text);
}

function isoDate(date) {
  const pad = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

function normalTime(value) {
  const [, h, m, s, fraction = '.000'] = String(value).match(/^(\d{2}):(\d{2}):(\d{2})(\.\d{1,3})?$/);
  return `${h}:${m}:${s}.${fraction.slice(1).padEnd(3, '0')}`;
}

const SKIPPED_TYPES = new Set(['relation', 'media', 'increments', 'component', 'dynamiczone']);
const scalarFields = new WeakMap(); // content type metadata -> [{name, attr, column}] of its scalar attributes

/** The attributes of `meta` (a content type's database metadata) that are columns of its own table. */
function scalarColumns(meta) {
  if (!scalarFields.has(meta)) {
    scalarFields.set(meta, Object.entries(meta.attributes)
      .filter(([, attr]) => attr.columnName && !SKIPPED_TYPES.has(attr.type))
      .map(([name, attr]) => ({ name, attr, column: attr.columnName })));
  }
  return scalarFields.get(meta);
}

function defaultOf(attr) {
  return typeof attr.default === 'function' ? attr.default() : attr.default;
}

const columnTypes = new Map(); // table -> Map column -> Postgres type without modifiers (varchar, numeric...)

async function typesOf(trx, table) {
  if (!columnTypes.has(table)) {
    const { rows } = await trx.raw(
      'select attname as name, format_type(atttypid, null) as type from pg_attribute where attrelid = ?::regclass and attnum > 0 and not attisdropped',
      [table],
    );
    columnTypes.set(table, new Map(rows.map((r) => [r.name, r.type])));
  }
  return columnTypes.get(table);
}

function isPostgres(trx) {
  return trx.client.config.client === 'postgres' || trx.client.dialect === 'postgresql';
}

/** The key of a new row among those `insertEntries` returns: its document, and whether it is its published
 * version (a type with Draft & Publish makes two rows of a new entry; its locales are written one at a time). */
function rowKey(documentId, published) {
  return `${documentId}|${published ? 'published' : 'draft'}`;
}

/**
 * Create `entries` of `ct` (attribute name -> value, each with its new `documentId`); returns Map `rowKey` ->
 * row id. On Postgres, one statement per 5,000 entries with an array per column, cast to the columns' base
 * types (the insert then applies their lengths and numeric scales, as any insert does). Elsewhere, createMany.
 */
async function insertEntries(strapi, trx, ct, entries) {
  const ids = new Map();
  if (!entries.length) return ids;
  const meta = strapi.db.metadata.get(ct.uid);
  if (!isPostgres(trx)) {
    const names = scalarColumns(meta).map((f) => f.name);
    for (const chunk of chunks(entries, 500)) {
      const part = chunk.map((entry) => Object.fromEntries(names.filter((n) => n in entry).map((n) => [n, entry[n]])));
      // createMany returns the new ids in the order of `part` (INSERT ... RETURNING on every dialect Strapi runs on)
      const { ids: created } = await strapi.db.query(ct.uid).createMany({ data: part });
      if (created.length !== part.length) throw new Error(`createMany returned ${created.length} ids for ${part.length} entries`);
      part.forEach((entry, n) => ids.set(rowKey(entry.documentId, entry.publishedAt), created[n]));
    }
    return ids;
  }
  // The columns given by any entry, and those the schema has a default for (filled as createMany fills them).
  const fields = scalarColumns(meta).filter((f) => f.attr.default !== undefined || entries.some((e) => e[f.name] !== undefined));
  const types = await typesOf(trx, meta.tableName);
  const unknown = fields.find((f) => !types.has(f.column));
  if (unknown) throw new Error(`column ${unknown.column} is not in table ${meta.tableName}`);
  const casts = fields.map((f) => `?::${types.get(f.column)}[]`).join(', ');
  const sql = `insert into ?? (${fields.map(() => '??').join(', ')}) select * from unnest(${casts}) returning id, document_id, published_at`;
  for (const part of chunks(entries)) {
    const arrays = fields.map(() => new Array(part.length));
    part.forEach((entry, i) => {
      fields.forEach(({ name, attr }, j) => {
        let value = entry[name];
        if (value === undefined && attr.default !== undefined) value = defaultOf(attr);
        arrays[j][i] = value === undefined || value === null ? null : columnValue(attr, value);
      });
    });
    const { rows: inserted } = await trx.raw(sql, [meta.tableName, ...fields.map((f) => f.column), ...arrays]);
    for (const row of inserted) ids.set(rowKey(row.document_id, row.published_at), row.id);
  }
  if (ids.size !== entries.length) throw new Error(`inserted ${ids.size} rows for ${entries.length} entries`);
  return ids;
}

/** `query` narrowed to rows whose `column` is one of `values`: on Postgres `= any(array)` (one parameter however
 * many values: cheaper to build, send and parse than `in (...)`), elsewhere `in (...)`. */
function whereAny(trx, query, column, values, type = 'text') {
  return isPostgres(trx) ? query.whereRaw(`?? = any(?::${type}[])`, [column, values]) : query.whereIn(column, values);
}

/** Rows of `table` (`select` columns) whose `column` is one of `values`, 5,000 values a statement. */
async function rowsWhereIn(trx, table, select, column, values, { type = 'text', forUpdate = false } = {}) {
  const out = [];
  for (const part of chunks(values)) {
    const query = whereAny(trx, trx(table).select(select), column, part, type);
    out.push(...await (forUpdate ? query.forUpdate() : query));
  }
  return out;
}

module.exports = { columnValue, insertEntries, rowKey, rowsWhereIn, whereAny, isPostgres, chunks };
