'use strict';

// Relation links written straight into Strapi's link tables, for many entries at once, keeping the order
// columns the way Strapi's own writes keep them: an entry's to-many list in the given order (1..n), and an
// entry's place in each target's list kept when the link stays, appended after the others when it is new.

const { chunks, isPostgres, rowsWhereIn, whereAny } = require('./rows');

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
    for (const row of await rowsWhereIn(trx, jt.name, [col, inv, invOrd], col, entryIds, { type: 'integer' })) {
      kept.set(`${row[col]}:${row[inv]}`, row[invOrd]);
    }
  }
  for (const ids of chunks(entryIds)) await whereAny(trx, trx(jt.name), col, ids, 'integer').del();

  const targets = [...new Set([...wanted.values()].flat())];
  if (attr.relation === 'oneToMany' || attr.relation === 'oneToOne') {
    // A target belongs to one entry through this relation: linking it here unlinks it elsewhere.
    for (const ids of chunks(targets)) await whereAny(trx, trx(jt.name), inv, ids, 'integer').del();
  }
  // A new link goes after every link the table holds (Strapi's index on the order column answers the max at
  // once), so after every entry already in its target's list; a max per target would scan each target's links,
  // which for a target with most of the entries (a currency, a region) grows with every batch.
  let last = 0;
  if (invOrd) {
    const [{ max }] = await trx(jt.name).max({ max: invOrd });
    last = Number(max) || 0;
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
          last += 1;
          row[invOrd] = last;
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
  if (!isPostgres(trx)) {
    for (const part of chunks(rows, 1000)) await trx(table).insert(part);
    return;
  }
  const names = columns.map(([name]) => name);
  const arrays = names.map((name) => rows.map((row) => (row[name] === undefined ? null : row[name])));
  const unnest = columns.map(([, type]) => `?::${type}[]`).join(', ');
  await trx.raw(`insert into ?? (${names.map(() => '??').join(', ')}) select * from unnest(${unnest})`, [table, ...names, ...arrays]);
}

module.exports = { setLinks };
