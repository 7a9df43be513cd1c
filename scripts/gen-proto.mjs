#!/usr/bin/env node
// Generates the TypeScript types of every proto/*.proto into proto/gen/ with proto-loader-gen-types.
// Deterministic: the same .proto files give the same output, byte for byte (files are passed sorted, the
// output is written to a temporary folder and swapped in whole). The flags here MUST match the loader
// options of proto/index.ts (PROTO_LOADER_OPTIONS): the generated `__Output` types describe what the loader
// returns. proto/gen/ is not committed: `npm run build` regenerates it before tsc.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const protoDir = join(root, 'proto');
const outDir = join(protoDir, 'gen');
const tmpDir = join(protoDir, `.gen-${process.pid}`);

const require = createRequire(import.meta.url);
const generator = join(
  dirname(require.resolve('@grpc/proto-loader')),
  '..',
  'bin',
  'proto-loader-gen-types.js',
);

const files = readdirSync(protoDir)
  .filter((f) => f.endsWith('.proto'))
  .sort();
if (files.length === 0) {
  console.error(`gen-proto: no .proto files in ${protoDir}`);
  process.exit(1);
}

const flags = [
  // = PROTO_LOADER_OPTIONS in proto/index.ts: camelCase fields, 64-bit integers as decimal strings, enums
  // as their names, defaults for absent fields, virtual oneof fields.
  '--longs=String',
  '--enums=String',
  '--defaults',
  '--oneofs',
  '--grpcLib=@grpc/grpc-js',
  '--importFileExtension=.js',
  `--includeDirs=${protoDir}`,
  `--outDir=${tmpDir}`,
];

rmSync(tmpDir, { recursive: true, force: true });
const result = spawnSync(process.execPath, [generator, ...flags, ...files], {
  cwd: protoDir,
  stdio: ['ignore', 'inherit', 'inherit'],
});
if (result.status !== 0) {
  rmSync(tmpDir, { recursive: true, force: true });
  console.error(`gen-proto: proto-loader-gen-types failed (exit code ${result.status ?? result.signal})`);
  process.exit(1);
}
// The generator names each type's source file by its absolute path; make it relative to the repository so
// that the output does not depend on where the clone lives.
for (const entry of readdirSync(tmpDir, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile()) continue;
  const file = join(entry.parentPath, entry.name);
  const text = readFileSync(file, 'utf8');
  const fixed = text.replaceAll(`Original file: ${protoDir}/`, 'Original file: proto/');
  if (fixed !== text) writeFileSync(file, fixed);
}
if (existsSync(outDir)) rmSync(outDir, { recursive: true, force: true });
renameSync(tmpDir, outDir);
console.log(`gen-proto: ${files.join(', ')} → proto/gen/`);
