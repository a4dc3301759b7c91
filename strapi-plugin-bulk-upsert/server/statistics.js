'use strict';

// Planner statistics for the tables a batch wrote. Bulk loads grow tables faster than autovacuum's analyze
// follows (and where autovacuum is off, it never does): a table filled from empty keeps the estimates of an
// empty or far larger one, and Postgres then looks documentIds and link orders up by sequential scans, ten
// times slower than by index. So, like autoanalyze, a table is analyzed once the rows written since its
// last analyze reach its size (and at least MIN_ROWS), after the batch commits, in the background: between
// two analyzes Postgres scales its row estimates by the table's current size, so what an analyze adds is a
// column's distribution, which a doubling table hardly changes. Only the columns the plugin (and the sync's
// reads) look rows up by are analyzed: an entry table's document_id (its key and id have unique indexes,
// whose selectivity the planner knows without statistics), a link table's two id columns. A whole row's
// statistics (JSON and text columns) cost several times more; the table's size is updated either way, and
// the other columns' statistics are autovacuum's, as for any table.

const MIN_ROWS = 1000;
const GROWTH = 1;

const tables = new Map(); // table -> {pending rows, rows at the last analyze (null: not read yet), running}
let disabled = false; // ANALYZE refused (not the tables' owner): the plugin stops asking

/** Count the rows written to each table of `written` (Map table -> {rows, columns: to analyze, or null for
 * all}) and analyze those past the threshold. */
function noteWrites(strapi, written) {
  if (disabled || strapi.db.dialect.client !== 'postgres') return;
  for (const [table, { rows, columns }] of written) {
    if (!rows) continue;
    const state = tables.get(table) || { pending: 0, size: null, running: false };
    tables.set(table, state);
    state.pending += rows;
    if (!state.running && state.pending >= MIN_ROWS) {
      state.running = true;
      analyzeIfGrown(strapi, table, columns, state).catch((error) => {
        disabled = true;
        strapi.log.warn(`bulk-upsert: ANALYZE ${table} failed, no more analyzes from this plugin: ${error.message}`);
      }).finally(() => { state.running = false; });
    }
  }
}

async function analyzeIfGrown(strapi, table, columns, state) {
  const knex = strapi.db.connection;
  if (state.size === null) {
    const { rows } = await knex.raw('select greatest(reltuples, 0)::bigint as size from pg_class where oid = ?::regclass', [table]);
    state.size = rows.length ? Number(rows[0].size) : 0;
  }
  if (state.pending < GROWTH * state.size) return;
  const pending = state.pending;
  if (columns) await knex.raw(`analyze ?? (${columns.map(() => '??').join(', ')})`, [table, ...columns]);
  else await knex.raw('analyze ??', [table]);
  const { rows } = await knex.raw('select greatest(reltuples, 0)::bigint as size from pg_class where oid = ?::regclass', [table]);
  state.size = rows.length ? Number(rows[0].size) : 0;
  state.pending -= pending;
}

module.exports = { noteWrites, MIN_ROWS, GROWTH };
