import { mkdir, mkdtemp, open, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode, errorMessage } from '../../../common/index.js';
import { BundleReadError, BundleWriteError } from './errors.js';
import type { OciSpec } from './oci-types.js';

/** The largest config.json swarm-runtime reads (RN_SPEC_MAX_BYTES in spec.h). */
export const MAX_CONFIG_BYTES = 4 * 1024 * 1024;

/** The file name the OCI runtimes look for in a bundle. */
export const CONFIG_FILE = 'config.json';

/**
 * Writes `<dir>/config.json` so that a reader sees either the old file or the whole new one, never a
 * partial one: the JSON goes to a temporary file in a fresh private directory inside `dir` (mode 0600),
 * is fsynced, renamed over config.json, and the directory is fsynced. Creates `dir` (mode 0700) when
 * missing. On failure nothing new is left behind.
 *
 * @throws {BundleWriteError} on an I/O error, or when the JSON exceeds {@link MAX_CONFIG_BYTES}.
 */
export async function writeBundle(dir: string, spec: OciSpec): Promise<void> {
  const json = `${JSON.stringify(spec, null, 2)}\n`;
  const bytes = Buffer.byteLength(json);
  if (bytes > MAX_CONFIG_BYTES)
    throw new BundleWriteError(
      dir,
      `config.json would be ${bytes} bytes; the runtime reads at most ${MAX_CONFIG_BYTES}`,
    );
  let tmpDir: string | undefined;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    tmpDir = await mkdtemp(join(dir, `.${CONFIG_FILE}-`));
    const tmpFile = join(tmpDir, CONFIG_FILE);
    const file = await open(tmpFile, 'wx', 0o600);
    try {
      await file.writeFile(json, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmpFile, join(dir, CONFIG_FILE));
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  } catch (err) {
    throw new BundleWriteError(dir, errorMessage(err), err);
  } finally {
    // Empty after a successful rename; holds the partial file after a failure.
    if (tmpDir !== undefined) await rm(tmpDir, { recursive: true, force: true }).catch(() => undefined);
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Reads `<dir>/config.json` back. Checks only the outline of an OCI spec (an `ociVersion`, `root.path`,
 * `process.args`, `process.cwd`, `linux`), not every field: the C runtime is the judge of the rest.
 *
 * @throws {BundleReadError} when the file is missing, unreadable, larger than {@link MAX_CONFIG_BYTES}, not
 *   JSON, or not shaped like an OCI spec.
 */
export async function readBundleSpec(dir: string): Promise<OciSpec> {
  let text: string;
  try {
    const buf = await readFile(join(dir, CONFIG_FILE));
    if (buf.length > MAX_CONFIG_BYTES)
      throw new BundleReadError(
        dir,
        `config.json is ${buf.length} bytes; the runtime reads at most ${MAX_CONFIG_BYTES}`,
      );
    text = buf.toString('utf8');
  } catch (err) {
    if (err instanceof BundleReadError) throw err;
    if (errorCode(err) === 'ENOENT') throw new BundleReadError(dir, 'config.json does not exist', err);
    throw new BundleReadError(dir, errorMessage(err), err);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new BundleReadError(dir, `config.json is not valid JSON: ${errorMessage(err)}`, err);
  }
  if (!isRecord(doc) || typeof doc.ociVersion !== 'string')
    throw new BundleReadError(dir, 'config.json is not an OCI spec (no ociVersion)');
  const { root, process: proc, linux } = doc;
  if (!isRecord(root) || typeof root.path !== 'string')
    throw new BundleReadError(dir, 'config.json is not an OCI spec (no root.path)');
  if (!isRecord(proc) || !Array.isArray(proc.args) || typeof proc.cwd !== 'string')
    throw new BundleReadError(dir, 'config.json is not an OCI spec (no process.args or process.cwd)');
  if (!isRecord(linux)) throw new BundleReadError(dir, 'config.json is not an OCI spec (no linux section)');
  return doc as unknown as OciSpec;
}
