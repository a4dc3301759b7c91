'use strict';

// documentIds for new entries, in the shape Strapi gives them (cuid2: 24 characters of a-z0-9, the first a
// letter), drawn from crypto's random bytes. Strapi's own generator hashes each id with SHA3, which was a
// fifth of the plugin's CPU time in a 237,000-entry sync; 123 random bits make a collision as unlikely.

const crypto = require('crypto');

const LENGTH = 24;
const LETTERS = 'abcdefghijklmnopqrstuvwxyz';
const ALPHABET = `${LETTERS}0123456789`;
const POOL = 64 * 1024;

let pool = Buffer.alloc(0);
let offset = 0;

function randomByte() {
  if (offset >= pool.length) {
    pool = crypto.randomBytes(POOL);
    offset = 0;
  }
  return pool[offset++];
}

/** A uniformly random character of `alphabet` (bytes past the largest multiple of its length are skipped). */
function randomChar(alphabet) {
  const limit = 256 - (256 % alphabet.length);
  for (;;) {
    const byte = randomByte();
    if (byte < limit) return alphabet[byte % alphabet.length];
  }
}

function newDocumentId() {
  let id = randomChar(LETTERS);
  for (let i = 1; i < LENGTH; i += 1) id += randomChar(ALPHABET);
  return id;
}

module.exports = { newDocumentId, LENGTH };
