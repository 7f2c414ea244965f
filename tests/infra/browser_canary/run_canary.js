// Test driver: runs a rendered browser canary script's `run` with the login on stdin (JSON),
// as the Synthetics handler does after reading its secret. Prints the result; exits 1 with
// the failure on stderr.
'use strict';

const fs = require('node:fs');

const [script, baseUrl, state] = process.argv.slice(2);
const login = JSON.parse(fs.readFileSync(0, 'utf8'));
require(script).run(baseUrl, state, login).then(
  (result) => { console.log(result); },
  (err) => { console.error(err.message); process.exit(1); },
);
