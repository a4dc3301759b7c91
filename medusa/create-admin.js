'use strict';

// Medusa's own `medusa user` command (either version), given the admin's password from the environment
// instead of `-p`, where any local user could read it in the process list while the command runs.
// Run from a pinned install (medusa/v1 or medusa/v2) with MEDUSA_ADMIN_EMAIL and MEDUSA_ADMIN_PASSWORD set.

const path = require('path');

const directory = process.cwd();
const email = process.env.MEDUSA_ADMIN_EMAIL;
const password = process.env.MEDUSA_ADMIN_PASSWORD;
if (!email || !password) {
  console.error('create-admin: MEDUSA_ADMIN_EMAIL and MEDUSA_ADMIN_PASSWORD must be set');
  process.exit(2);
}
// By its path: v2's package `exports` map does not expose dist/commands.
const command = require(path.join(directory, 'node_modules', '@medusajs', 'medusa', 'dist', 'commands', 'user.js'));
// The command exits the process itself when done (0) or failed (1).
Promise.resolve((command.default || command)({ directory, email, password })).catch((error) => {
  console.error(error);
  process.exit(1);
});
