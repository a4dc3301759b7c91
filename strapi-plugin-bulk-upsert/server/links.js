'use strict';

// Relation links written straight into Strapi's link tables, for many entries at once, keeping the order
// columns the way Strapi's own writes keep them: an entry's to-many list in the given order (1..n), and an
// entry's place in each target's list kept when the link stays, appended (max + 1) when it is new.

const CHUNK = 5000; // keys per `IN (...)` lookup and link rows per insert (x 4 columns: far under 65,535 parameters)

function chunks(list, size = CHUNK) {
  const out = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/**
 * Replace the links of `attr` for the entries in `wanted` (Map entry id -> target ids, in order).
 * `attr` is the attribute's database metadata (with its joinTable; owner and inverse sides both have one).
 * `fresh`: ids of entries created in this transaction, which have no links to read or remove yet.
 * Returns the number of link rows written.
 */
async function setLinks(trx, attr, wanted, fresh = new Set()) {
  const jt = attr.joinTable;
  const col = jt.joinColumn.name;
  const inv = jt.inverseJoinColumn.name;
  const ord = jt.orderColumnName;
  const invOrd = jt.inverseOrderColumnName;
  if (!wanted.size) return 0;
  const entryIds = [...wanted.keys()].filter((id) => !fresh.has(id));

  const kept = new Map();
  if (invOrd) {
    for (const ids of chunks(entryIds)) {
      const rows = await trx(jt.name).select(col, inv, invOrd).whereIn(col, ids);
      for (const row of rows) kept.set(`${row[col]}:${row[inv]}`, row[invOrd]);
    }
  }
  for (const ids of chunks(entryIds)) await trx(jt.name).whereIn(col, ids).del();

  const targets = [...new Set([...wanted.values()].flat())];
  if (attr.relation === 'oneToMany' || attr.relation === 'oneToOne') {
    // A target belongs to one entry through this relation: linking it here unlinks it elsewhere.
    for (const ids of chunks(targets)) await trx(jt.name).whereIn(inv, ids).del();
  }
  const last = new Map();
  if (invOrd) {
    for (const ids of chunks(targets)) {
      const rows = await trx(jt.name).select(inv).max({ last: invOrd }).whereIn(inv, ids).groupBy(inv);
      for (const row of rows) last.set(row[inv], Number(row.last) || 0);
    }
  }
  const rows = [];
  for (const [entryId, targetIds] of wanted) {
    [...new Set(targetIds)].forEach((targetId, index) => {
      const row = { [col]: entryId, [inv]: targetId };
      if (ord) row[ord] = index + 1;
      if (invOrd) {
        const place = kept.get(`${entryId}:${targetId}`);
        if (place !== undefined && place !== null) {
          row[invOrd] = place;
        } else {
          const next = (last.get(targetId) || 0) + 1;
          last.set(targetId, next);
          row[invOrd] = next;
        }
      }
      rows.push(row);
    });
  }
  await insertRows(trx, jt.name, rows, [[col, 'integer'], [inv, 'integer'], ...(ord ? [[ord, 'double precision']] : []),
    ...(invOrd ? [[invOrd, 'double precision']] : [])]);
  return rows.length;
}

/**
 * Insert `rows` into a link table. On Postgres, one statement with one array per column (`unnest`): three or
 * four parameters instead of one per value, which Postgres parses and binds, and knex numbers, far faster.
 */
async function insertRows(trx, table, rows, columns) {
  if (!rows.length) return;
  if (trx.client.config.client !== 'postgres' && trx.client.dialect !== 'postgresql') {
    for (const part of chunks(rows, 1000)) await trx(table).insert(part);
    return;
  }
  const names = columns.map(([name]) => name);
  const arrays = names.map((name) => rows.map((row) => (row[name] === undefined ? null : row[name])));
  const unnest = columns.map(([, type]) => `?::${type}[]`).join(', ');
  await trx.raw(`insert into ?? (${names.map(() => '??').join(', ')}) select * from unnest(${unnest})`, [table, ...names, ...arrays]);
}

module.exports = { setLinks, chunks };
