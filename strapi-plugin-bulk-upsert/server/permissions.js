'use strict';

// A batch's entries checked by Strapi's own content-API input rules for the caller, as REST checks a create or
// an update: unknown and non-writable attributes, and relations to types the caller may not `find`, are a 400.
// Strapi's validator costs about what the write itself does per entry, and its verdict depends only on which
// attributes an entry gives (and, for a relation, its target type), so it runs once per distinct set of
// attribute names in the batch, on the first entry that has it.

/** One entry per distinct set of attribute names among `entries` (objects only; checkEntry reports the rest). */
function entriesByShape(entries) {
  const shapes = new Map();
  for (const entry of entries) {
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) continue;
    const shape = Object.keys(entry).sort().join('\u0000');
    if (!shapes.has(shape)) shapes.set(shape, entry);
  }
  return [...shapes.values()];
}

/** Throw Strapi's ValidationError (a 400) when `auth` could not write one of the batch's shapes over REST. */
async function validateShapes(strapi, ct, entries, auth) {
  for (const entry of entriesByShape(entries)) await strapi.contentAPI.validate.input(entry, ct, { auth });
}

module.exports = { validateShapes, entriesByShape };
