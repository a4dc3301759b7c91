'use strict';

// What the plugin may write, and the checks an entry passes before it is written: the content type's own
// schema (attribute names and types, required, lengths, enums), without Strapi's per-entry validator, which
// costs more than the write itself.

const RESERVED = new Set(['id', 'documentId', 'createdAt', 'updatedAt', 'publishedAt', 'locale', 'localizations', 'createdBy', 'updatedBy']);
const STRING_TYPES = new Set(['string', 'text', 'richtext', 'email', 'uid', 'password', 'blocks']);
const UID_PATTERN = /^[A-Za-z0-9-_.~]*$/;
const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const VARCHAR_TYPES = new Set(['string', 'email', 'uid', 'password']); // a varchar(255) column unless overridden
const INT32 = 2 ** 31;

class BulkError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Whether `name` is an attribute of `ct` (an own property: `constructor`, `__proto__`... are not). */
function hasAttribute(ct, name) {
  return typeof name === 'string' && Object.hasOwn(ct.attributes, name);
}

/** The api:: content type whose REST plural is `plural`, or a BulkError (404). */
function contentTypeOf(strapi, plural) {
  const ct = Object.values(strapi.contentTypes).find((c) => c.info && c.info.pluralName === plural && c.uid.startsWith('api::'));
  if (!ct || ct.kind !== 'collectionType') throw new BulkError(404, `no collection type with plural '${plural}'`);
  return ct;
}

/** Why the plugin cannot write `ct` safely (the client then uses REST), or null. A type with draft & publish or
 * locales, or linking to one, is written through Strapi's Document Service (documents.js). */
function refusal(strapi, ct) {
  for (const [name, attr] of Object.entries(ct.attributes)) {
    if (attr.type === 'component') return `${ct.uid} has a component (${name})`;
    if (attr.type === 'dynamiczone') return `${ct.uid} has a dynamic zone (${name})`;
    if (attr.type === 'relation' && attr.target) {
      const target = strapi.contentTypes[attr.target];
      if (!target) return `${ct.uid}.${name} relates to an unknown type ${attr.target}`;
      if (String(attr.relation).startsWith('morph')) return `${ct.uid}.${name} is a polymorphic relation`;
    }
  }
  return null;
}

/** Why `key` cannot identify entries of `ct` for upserts (it must be a unique string attribute), or null. */
function keyProblem(ct, key) {
  if (!hasAttribute(ct, key)) return `${ct.uid} has no attribute ${JSON.stringify(key)}`;
  const keyAttr = ct.attributes[key];
  if (!keyAttr.unique || !VARCHAR_TYPES.has(keyAttr.type) && !STRING_TYPES.has(keyAttr.type)) {
    return `${ct.uid}.${key} is not a unique string attribute`;
  }
  return null;
}

/**
 * Check one entry against the content type; returns {error} or {data} (the entry itself, as parsed from the
 * request: it is only read from here on). Relations are checked for shape here, for existence in the
 * transaction; required ones by `missingRequired`.
 */
function checkEntry(ct, entry, key) {
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) return { error: 'an entry must be an object' };
  if (typeof entry[key] !== 'string' || entry[key] === '') return { error: `${key} must be a non-empty string` };
  for (const name of Object.keys(entry)) {
    if (RESERVED.has(name)) return { error: `${name}: set by Strapi, not writable` };
    const attr = Object.hasOwn(ct.attributes, name) ? ct.attributes[name] : undefined;
    if (!attr) return { error: `${name}: Invalid key (no such attribute in ${ct.uid})` };
    const problem = checkValue(name, attr, entry[name]);
    if (problem) return { error: problem };
  }
  return { data: entry };
}

const requiredNames = new WeakMap(); // content type -> its required attributes without a default

/** The first required attribute a new entry lacks (and has no default for), or null. */
function missingRequired(ct, data) {
  if (!requiredNames.has(ct)) {
    requiredNames.set(ct, Object.entries(ct.attributes).filter(([, attr]) => attr.required && attr.default === undefined).map(([name]) => name));
  }
  const missing = requiredNames.get(ct).find((name) => !(name in data));
  return missing === undefined ? null : `${missing}: required`;
}

function checkValue(name, attr, value) {
  if (attr.type === 'media') return `${name}: media attributes are written over REST`;
  if (value === null) {
    if (attr.required) return `${name}: required, cannot be null`;
    return null;
  }
  if (attr.type === 'relation') return checkRelation(name, attr, value);
  if (STRING_TYPES.has(attr.type)) {
    if (attr.type === 'blocks') return Array.isArray(value) ? null : `${name}: must be a list of blocks`;
    if (typeof value !== 'string') return `${name}: must be a string`;
    if (attr.required && value === '') return `${name}: required, cannot be empty`;
    const max = attr.maxLength || (VARCHAR_TYPES.has(attr.type) && !(attr.column && attr.column.type) ? 255 : null);
    // value.length counts UTF-16 units, at least the characters: only a long one needs counting.
    if (max && value.length > max && [...value].length > max) return `${name}: longer than ${max} characters`;
    if (attr.minLength && (value.length < attr.minLength || [...value].length < attr.minLength)) {
      return `${name}: shorter than ${attr.minLength} characters`;
    }
    if (attr.regex && !new RegExp(attr.regex).test(value)) return `${name}: does not match ${attr.regex}`;
    // Strapi's own rules for these kinds (REST refuses the same values)
    if (attr.type === 'uid' && !UID_PATTERN.test(value)) return `${name}: must match ${UID_PATTERN} (a uid)`;
    if (attr.type === 'email' && value !== '' && !EMAIL_PATTERN.test(value)) return `${name}: must be a valid email`;
    return null;
  }
  switch (attr.type) {
    case 'integer':
      if (!Number.isInteger(value) || value < -INT32 || value >= INT32) return `${name}: must be a 32-bit integer`;
      return checkRange(name, attr, value);
    case 'biginteger':
      if (!(Number.isSafeInteger(value) || (typeof value === 'string' && /^-?\d{1,19}$/.test(value)))) {
        return `${name}: must be an integer`;
      }
      return null;
    case 'float':
    case 'decimal':
      if (typeof value === 'string' && attr.type === 'decimal' && /^-?\d+(\.\d+)?$/.test(value)) return null;
      if (typeof value !== 'number' || !Number.isFinite(value)) return `${name}: must be a number`;
      return checkRange(name, attr, value);
    case 'boolean':
      return typeof value === 'boolean' ? null : `${name}: must be a boolean`;
    case 'json':
      // A string is JSON text, stored as given (as REST stores it): it must parse.
      return typeof value !== 'string' || isJsonText(value) ? null : `${name}: a string for a json attribute must be JSON text`;
    case 'enumeration':
      return (attr.enum || []).includes(value) ? null : `${name}: must be one of ${(attr.enum || []).join(', ')}`;
    case 'datetime':
    case 'timestamp':
    case 'date':
    case 'time':
      if (typeof value !== 'string' || (attr.type !== 'time' && Number.isNaN(Date.parse(value)))) return `${name}: must be a ${attr.type} string`;
      return null;
    default:
      return `${name}: attributes of type ${attr.type} are not supported by bulk writes`;
  }
}

function checkRange(name, attr, value) {
  if (attr.min !== undefined && value < attr.min) return `${name}: below ${attr.min}`;
  if (attr.max !== undefined && value > attr.max) return `${name}: above ${attr.max}`;
  return null;
}

function isToMany(attr) {
  return attr.relation === 'oneToMany' || attr.relation === 'manyToMany';
}

function checkRelation(name, attr, value) {
  if (isToMany(attr)) {
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v)) return `${name}: must be a list of documentIds`;
    return null;
  }
  return typeof value === 'string' && value ? null : `${name}: must be a documentId or null`;
}

function isJsonText(text) {
  try {
    JSON.parse(text);
    return true;
  } catch (e) {
    return false;
  }
}

module.exports = { BulkError, hasAttribute, contentTypeOf, refusal, keyProblem, checkEntry, missingRequired, isToMany };
