import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { CONFIG_FILE, MAX_CONFIG_BYTES, readBundleSpec, writeBundle } from './bundle.js';
import { buildContainerSpec } from './default-spec.js';
import { BundleReadError, BundleWriteError } from './errors.js';

async function scratch(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-oci-bundle-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const SPEC = buildContainerSpec({
  args: ['/bin/true'],
  rootPath: 'rootfs',
  cgroupsPath: '/swarmd/b1',
  arch: 'x64',
  hostname: 'b1',
  annotations: { 'swarmd.task.id': 'b1' },
});

test('`writeBundle()` then `readBundleSpec()` gives the same spec back', async (t) => {
  const dir = await scratch(t);
  await writeBundle(dir, SPEC);
  t.deepEqual(await readBundleSpec(dir), SPEC);
  const text = await readFile(join(dir, CONFIG_FILE), 'utf8');
  t.is(text, `${JSON.stringify(SPEC, null, 2)}\n`);
});

test('`writeBundle()` writes config.json with mode 0600 and leaves no temporary files', async (t) => {
  const dir = await scratch(t);
  await writeBundle(dir, SPEC);
  t.is((await stat(join(dir, CONFIG_FILE))).mode & 0o777, 0o600);
  t.deepEqual(await readdir(dir), [CONFIG_FILE]);
});

test('`writeBundle()` replaces an existing config.json', async (t) => {
  const dir = await scratch(t);
  await writeFile(join(dir, CONFIG_FILE), '{"old":true}', { mode: 0o644 });
  const spec = { ...SPEC, hostname: 'b2' };
  await writeBundle(dir, spec);
  t.deepEqual(await readBundleSpec(dir), spec);
  t.is((await stat(join(dir, CONFIG_FILE))).mode & 0o777, 0o600);
  t.deepEqual(await readdir(dir), [CONFIG_FILE]);
});

test('`writeBundle()` creates a missing bundle directory, private', async (t) => {
  const dir = join(await scratch(t), 'a', 'bundle');
  await writeBundle(dir, SPEC);
  t.deepEqual(await readBundleSpec(dir), SPEC);
  t.is((await stat(dir)).mode & 0o777, 0o700);
});

test('`writeBundle()` refuses a config.json larger than the runtime reads, writing nothing', async (t) => {
  const dir = await scratch(t);
  const huge = { ...SPEC, annotations: { big: 'x'.repeat(MAX_CONFIG_BYTES) } };
  const err = await t.throwsAsync(writeBundle(dir, huge), { instanceOf: BundleWriteError });
  t.is(err?.code, 'ERR_BUNDLE_WRITE');
  t.regex(
    err?.message ?? '',
    /^Cannot write bundle ".*": config\.json would be \d+ bytes; the runtime reads at most 4194304$/,
  );
  t.deepEqual(await readdir(dir), []);
});

test('`writeBundle()` wraps I/O errors with the bundle directory', async (t) => {
  const file = join(await scratch(t), 'not-a-dir');
  await writeFile(file, '');
  const err = await t.throwsAsync(writeBundle(file, SPEC), { instanceOf: BundleWriteError });
  t.is(err?.code, 'ERR_BUNDLE_WRITE');
  t.is(err?.dir, file);
  t.deepEqual(err?.fields, { 'bundle.dir': file });
  t.true(err?.message.startsWith(`Cannot write bundle "${file}": `));
  t.truthy(err?.cause);
});

test('`readBundleSpec()` says when config.json is missing', async (t) => {
  const dir = await scratch(t);
  const err = await t.throwsAsync(readBundleSpec(dir), {
    instanceOf: BundleReadError,
    message: `Cannot read bundle "${dir}": config.json does not exist`,
  });
  t.is(err?.code, 'ERR_BUNDLE_READ');
});

test('`readBundleSpec()` refuses what is not JSON or not an OCI spec', async (t) => {
  const dir = await scratch(t);
  const cases: [string, string][] = [
    ['{', 'config.json is not valid JSON: '],
    ['[]', 'config.json is not an OCI spec (no ociVersion)'],
    ['{"ociVersion":"1.0.2"}', 'config.json is not an OCI spec (no root.path)'],
    [
      '{"ociVersion":"1.0.2","root":{"path":"rootfs"}}',
      'config.json is not an OCI spec (no process.args or process.cwd)',
    ],
    [
      '{"ociVersion":"1.0.2","root":{"path":"rootfs"},"process":{"args":["x"],"cwd":"/"}}',
      'config.json is not an OCI spec (no linux section)',
    ],
  ];
  for (const [text, reason] of cases) {
    await writeFile(join(dir, CONFIG_FILE), text);
    const err = await t.throwsAsync(readBundleSpec(dir), { instanceOf: BundleReadError });
    t.is(err?.code, 'ERR_BUNDLE_READ');
    t.true(err?.message.startsWith(`Cannot read bundle "${dir}": ${reason}`), err?.message);
  }
});

test('`readBundleSpec()` refuses a config.json larger than the runtime reads', async (t) => {
  const dir = await scratch(t);
  await writeFile(join(dir, CONFIG_FILE), Buffer.alloc(MAX_CONFIG_BYTES + 1, 0x20));
  await t.throwsAsync(readBundleSpec(dir), {
    instanceOf: BundleReadError,
    message: `Cannot read bundle "${dir}": config.json is ${MAX_CONFIG_BYTES + 1} bytes; the runtime reads at most ${MAX_CONFIG_BYTES}`,
  });
});
