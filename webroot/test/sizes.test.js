// The client stays in files small enough to change safely (issue 29): a module that outgrows 400 lines is split by
// job, as session.js and crypto.js were (docs/client.md, the module map).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';

const MAX_LINES = 400;
const dir = new URL('../js/', import.meta.url);

test('no module of the client is longer than 400 lines', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.js'));
  assert.ok(files.length > 10, `found the client's modules in ${dir.pathname}`);
  const long = files
    .map((f) => [f, readFileSync(new URL(f, dir), 'utf8').replace(/\n$/, '').split('\n').length])
    .filter(([, lines]) => lines > MAX_LINES)
    .map(([f, lines]) => `${f}: ${lines} lines`);
  assert.deepEqual(long, [], `split these by job: ${long.join(', ')}`);
});
