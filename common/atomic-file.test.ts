import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { writeFileAtomic } from './atomic-file.js';

test('writeFileAtomic replaces the file whole, with the mode asked, and leaves no temporary file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swt-atomic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'state.json');
  writeFileSync(path, 'old', { mode: 0o644 });
  await writeFileAtomic(path, 'new');
  t.is(readFileSync(path, 'utf8'), 'new');
  t.is(statSync(path).mode & 0o777, 0o600);
  await writeFileAtomic(path, new Uint8Array([104, 105]), { mode: 0o640, syncDir: false });
  t.is(readFileSync(path, 'utf8'), 'hi');
  t.is(statSync(path).mode & 0o777, 0o640);
  t.deepEqual(readdirSync(dir), ['state.json']);
});

test('writeFileAtomic into a missing folder fails and creates nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'swt-atomic-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  await t.throwsAsync(writeFileAtomic(join(dir, 'nope', 'x'), 'data'), { code: 'ENOENT' });
  t.deepEqual(readdirSync(dir), []);
});
