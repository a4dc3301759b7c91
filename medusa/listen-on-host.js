'use strict';

// Preloaded into Medusa's server (`node -r ../listen-on-host.js node_modules/.bin/medusa start`): a listen()
// given only a port binds to MEDUSA_HOST (default 127.0.0.1) instead of every interface. Medusa v1's
// `medusa start` has no host option, and v2's serves the same way with it, so both stacks bind alike.

const net = require('net');

const host = process.env.MEDUSA_HOST || '127.0.0.1';
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function listenOnHost(...args) {
  const [first, second] = args;
  const portOnly = (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first)))
    && (second === undefined || second === null || typeof second === 'function');
  if (portOnly) return listen.call(this, first, host, ...args.slice(1).filter((arg) => typeof arg === 'function'));
  if (first && typeof first === 'object' && !Array.isArray(first) && first.port !== undefined && first.host === undefined
      && first.path === undefined) {
    return listen.call(this, { ...first, host }, ...args.slice(1));
  }
  return listen.apply(this, args);
};
