// The browser build (the package's `browser` export condition) holds no Node module, so a
// bundler takes it as is; its start() says what to do instead.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const manifest = require('doitong-mock/package.json');
const entry = new URL(manifest.exports['.'].browser, pathToFileURL(require.resolve('doitong-mock/package.json')));

/** Every module the browser entry loads, and what each imports from outside the package. */
function importsOf(url, seen = new Map()) {
  if (seen.has(url.href)) return seen;
  const source = readFileSync(url, 'utf8');
  const specifiers = [...source.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)]
    .map((m) => m[1] ?? m[2]);
  seen.set(url.href, specifiers.filter((s) => !s.startsWith('.')));
  for (const specifier of specifiers.filter((s) => s.startsWith('.'))) importsOf(new URL(specifier, url), seen);
  return seen;
}

test('the browser entry and everything it loads import nothing from outside the package', () => {
  const modules = importsOf(entry);
  assert.ok(modules.size >= 8, [...modules.keys()].join(', '));
  assert.ok(![...modules.keys()].some((href) => href.endsWith('/start.js')));
  assert.deepEqual([...modules.values()].flat(), []);
});

test("the browser entry has everything but start(), whose promise says to connect() instead", async () => {
  const browser = await import(entry.href);
  const node = await import('doitong-mock');
  assert.deepEqual(Object.keys(browser).sort(), Object.keys(node).filter((name) => name !== 'DoitongMockServer').sort());
  await assert.rejects(browser.start(), /start\(\) runs in Node, not in a browser: connect\(baseUrl\)/);
});
