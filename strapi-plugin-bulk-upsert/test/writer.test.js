'use strict';

// The batch writer's pure steps, without Strapi or a database: `node --test strapi-plugin-bulk-upsert/test`
// (run by tests/unit/test_plugin_steps.py).

const test = require('node:test');
const assert = require('node:assert');
const { steps } = require('../server/writer');

const ct = {
  uid: 'api::product.product',
  attributes: {
    medusa_id: { type: 'string' },
    title: { type: 'string' },
    tags: { type: 'relation', target: 'api::product-tag.product-tag' },
  },
};
const strapi = { db: { metadata: { get: () => ({ tableName: 'products', attributes: { medusa_id: { columnName: 'medusa_id' } } }) } } };

test('a batch starts with the entries that failed their checks reported and the others pending', () => {
  const entries = [{ medusa_id: 'a' }, { medusa_id: 'b' }];
  const checked = [{ data: entries[0] }, { error: 'title: too long' }];
  const batch = steps.startBatch(strapi, null, ct, 'medusa_id', entries, checked, new Map());
  assert.deepStrictEqual(batch.pending, [0]);
  assert.deepStrictEqual(batch.results[1], { key: 'b', status: 'error', error: { status: 400, message: 'title: too long' } });
  assert.deepStrictEqual(batch.relationNames, ['tags']);
});

test('the rows written are counted per table', () => {
  const written = new Map();
  const batch = steps.startBatch(strapi, null, ct, 'medusa_id', [], [], written);
  batch.count('products', 2, ['document_id']);
  batch.count('products', 3, ['document_id']);
  assert.deepStrictEqual(written.get('products'), { rows: 5, columns: ['document_id'] });
});

test('each written entry is reported created or updated with its documentId', () => {
  const entries = [{ medusa_id: 'new' }, { medusa_id: 'old' }];
  const batch = steps.startBatch(strapi, null, ct, 'medusa_id', entries, entries.map((data) => ({ data })), new Map());
  batch.writable.push(0, 1);
  batch.created.set('new', { id: 1, documentId: 'd1' });
  batch.existing.set('old', { id: 2, documentId: 'd2' });
  steps.reportWrites(batch);
  assert.deepStrictEqual(batch.results, [
    { key: 'new', status: 'created', documentId: 'd1' },
    { key: 'old', status: 'updated', documentId: 'd2' },
  ]);
});

test('a link to a target that is not there names the relation and the documentIds', () => {
  const targetIds = new Map([['api::product-tag.product-tag', new Map([['t1', 11]])]]);
  assert.strictEqual(steps.missingLink(ct, ['tags'], { tags: ['t1'] }, targetIds), null);
  assert.match(steps.missingLink(ct, ['tags'], { tags: ['t1', 'gone'] }, targetIds), /^tags: Invalid relations: no api::product-tag.product-tag with documentId "gone"/);
  assert.strictEqual(steps.missingLink(ct, ['tags'], { tags: null }, targetIds), null);
});
