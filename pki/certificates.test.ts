import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import {
  CredentialsFileError,
  checkRootCA,
  createKeyAndCSR,
  createRootCA,
  generateJoinToken,
  InvalidPkiObjectError,
  loadNodeCredentials,
  parseCSR,
  parseJoinToken,
  parseNodeCertificate,
  RootCAMismatchError,
  rootCADigest,
  saveNodeCredentials,
  signNodeCertificate,
  TokenFormatError,
  verifyNodeCertificate,
} from './index.js';
import { issueTestCredentials } from './testing/index.js';
import { subtle, x509 } from './x509.js';

const NOW = 1_700_000_000_000;
const DAY = 24 * 3600 * 1000;
const CLUSTER = 'c0000000000000000000000001';

const bytes = (fill: number) => (n: number) => new Uint8Array(n).fill(fill);

test('root CA: self-signed P-256 CA, CN swarm-ca, 20 years', async (t) => {
  const root = await createRootCA({ now: NOW, clusterId: CLUSTER });
  const cert = new X509Certificate(root.certificatePem);
  t.true(cert.ca);
  t.true(cert.subject.split('\n').includes('CN=swarm-ca'));
  t.is(cert.subject, cert.issuer);
  t.true(cert.verify(cert.publicKey));
  t.is(cert.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  t.is(Date.parse(cert.validFrom), NOW);
  t.is(Date.parse(cert.validTo), NOW + 20 * 365 * DAY);
  t.regex(root.keyPem, /BEGIN PRIVATE KEY/);
});

test('node certificate: CN node id, OU role, O cluster, SANs, 90 days backdated 1 h, signed by the root', async (t) => {
  const root = await createRootCA({ now: NOW - DAY });
  const { csrPem } = await createKeyAndCSR();
  const pem = await signNodeCertificate({
    rootCA: root,
    csrPem,
    nodeId: 'node1',
    role: 'manager',
    clusterId: CLUSTER,
    now: NOW,
  });
  const cert = new X509Certificate(pem);
  t.true(cert.checkIssued(new X509Certificate(root.certificatePem)));
  t.false(cert.ca);
  t.is(cert.subjectAltName, 'DNS:swarm-manager, DNS:node1');
  t.true(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.1') && cert.keyUsage.includes('1.3.6.1.5.5.7.3.2'));
  t.deepEqual(parseNodeCertificate(pem), {
    nodeId: 'node1',
    role: 'manager',
    clusterId: CLUSTER,
    notBefore: NOW - 3600 * 1000,
    notAfter: NOW + 90 * DAY,
  });
  const worker = await signNodeCertificate({
    rootCA: root,
    csrPem,
    nodeId: 'node2',
    role: 'worker',
    clusterId: CLUSTER,
    now: NOW,
  });
  t.is(parseNodeCertificate(worker).role, 'worker');
  t.is(new X509Certificate(worker).subjectAltName, 'DNS:swarm-worker, DNS:node2');
  // Never valid before the root, nor after it.
  const young = await createRootCA({ now: NOW, validityMs: DAY });
  const clamped = parseNodeCertificate(
    await signNodeCertificate({
      rootCA: young,
      csrPem,
      nodeId: 'n3',
      role: 'worker',
      clusterId: CLUSTER,
      now: NOW,
    }),
  );
  t.is(clamped.notBefore, NOW);
  t.is(clamped.notAfter, NOW + DAY);
});

test('verifyNodeCertificate: another CA, expiry, not yet valid, another cluster', async (t) => {
  const root = await createRootCA({ now: NOW });
  const other = await createRootCA({ now: NOW });
  const creds = await issueTestCredentials({
    root,
    clusterId: CLUSTER,
    nodeId: 'n1',
    role: 'worker',
    now: NOW,
    validityMs: DAY,
  });
  const ok = verifyNodeCertificate(creds.certPem, {
    rootCAPem: root.certificatePem,
    clusterId: CLUSTER,
    now: NOW,
  });
  t.is(ok.nodeId, 'n1');
  const err = (now: number, rootCAPem = root.certificatePem, clusterId = CLUSTER) =>
    t.throws(() => verifyNodeCertificate(creds.certPem, { rootCAPem, clusterId, now }), {
      instanceOf: InvalidPkiObjectError,
    })?.message;
  t.regex(err(NOW, other.certificatePem) ?? '', /not signed by this cluster's root CA/);
  t.regex(err(NOW + DAY + 1) ?? '', /expired at/);
  t.regex(err(NOW - 2 * 3600 * 1000) ?? '', /not valid before/);
  t.regex(err(NOW, root.certificatePem, 'another') ?? '', /belongs to cluster/);
});

test('CSR checks: malformed, two blocks, oversized, tampered signature, wrong key type', async (t) => {
  const { csrPem } = await createKeyAndCSR();
  t.truthy(await parseCSR(csrPem));
  const rule = async (pem: string) =>
    (await t.throwsAsync(parseCSR(pem), { instanceOf: InvalidPkiObjectError }))?.message ?? '';
  t.regex(await rule(''), /empty/);
  t.regex(
    await rule('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n'),
    /does not parse/,
  );
  t.regex(await rule(csrPem + csrPem), /exactly one PEM/);
  t.regex(await rule(`${csrPem}${'x'.repeat(17 * 1024)}`), /larger than 16384/);
  // Flip one byte inside the signature (the end of the DER) and re-encode.
  const der = Buffer.from(csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  der[der.length - 3] = (der[der.length - 3] ?? 0) ^ 0x01;
  const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
  t.regex(await rule(tampered), /signature/);
  const p384 = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
  const csr384 = await x509.Pkcs10CertificateRequestGenerator.create({
    name: 'CN=x',
    keys: p384,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-384' },
  });
  t.regex(await rule(csr384.toString('pem')), /key must be ECDSA P-256/);
});

test('join token: format, digest of the root CA DER, secret from the random source', async (t) => {
  const root = await createRootCA({ now: NOW });
  const token = generateJoinToken(root.certificatePem, bytes(0xff));
  t.regex(token, /^SWMTKN-1-[0-9a-z]{50}-[0-9a-z]{25}$/);
  const parsed = parseJoinToken(token);
  t.is(parsed.digest, rootCADigest(root.certificatePem));
  t.is(parsed.secret, (2n ** 128n - 1n).toString(36).padStart(25, '0'));
  t.is(parseJoinToken(generateJoinToken(root.certificatePem, bytes(0))).secret, '0'.repeat(25));
  const der = new X509Certificate(root.certificatePem).raw;
  const { createHash } = await import('node:crypto');
  t.is(
    parsed.digest,
    BigInt(`0x${createHash('sha256').update(der).digest('hex')}`)
      .toString(36)
      .padStart(50, '0'),
  );
  for (const [bad, msg] of [
    ['', /empty/],
    ['SWMTKN-2-1-abc-def', /FIPS/],
    ['XYZ-1-abc', /must start with/],
    [`SWMTKN-1-${'a'.repeat(50)}`, /two parts/],
    [`SWMTKN-1-${'A'.repeat(50)}-${'a'.repeat(25)}`, /CA digest/],
    [`SWMTKN-1-${'a'.repeat(50)}-${'a'.repeat(24)}`, /secret/],
  ] as const) {
    const err = t.throws(() => parseJoinToken(bad), { instanceOf: TokenFormatError });
    t.is(err?.code, 'ERR_PKI_TOKEN_FORMAT');
    t.regex(err?.message ?? '', msg);
  }
});

test('checkRootCA: the joiner refuses a root CA whose digest differs from the token', async (t) => {
  const root = await createRootCA({ now: NOW });
  const impostor = await createRootCA({ now: NOW });
  const token = generateJoinToken(root.certificatePem, bytes(7));
  t.notThrows(() => checkRootCA(root.certificatePem, token));
  t.throws(() => checkRootCA(impostor.certificatePem, token), { instanceOf: RootCAMismatchError });
  const digest = parseJoinToken(token).digest;
  const tampered = token.replace(digest, (digest[0] === '0' ? '1' : '0') + digest.slice(1));
  const err = t.throws(() => checkRootCA(root.certificatePem, tampered), { instanceOf: RootCAMismatchError });
  t.is(err?.code, 'ERR_PKI_ROOT_CA_MISMATCH');
});

test('credential files: 0700 folder, 0600 files, round trip, inconsistent sets refused', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'swarmd-pki-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  t.is(await loadNodeCredentials(dir), null);
  const root = await createRootCA({ now: NOW });
  const creds = await issueTestCredentials({
    root,
    clusterId: CLUSTER,
    nodeId: 'n1',
    role: 'worker',
    now: NOW,
  });
  await saveNodeCredentials(dir, creds);
  t.is((await stat(join(dir, 'certificates'))).mode & 0o777, 0o700);
  for (const f of ['node.key', 'node.crt', 'root-ca.crt'])
    t.is((await stat(join(dir, 'certificates', f))).mode & 0o777, 0o600, f);
  t.deepEqual(await loadNodeCredentials(dir), creds);
  // Saving again replaces the files (atomically, through a rename).
  const renewed = await issueTestCredentials({
    root,
    clusterId: CLUSTER,
    nodeId: 'n1',
    role: 'manager',
    now: NOW,
  });
  await saveNodeCredentials(dir, renewed);
  t.deepEqual(await loadNodeCredentials(dir), renewed);
  // A key that is not the certificate's is refused, as is a missing file.
  await writeFile(join(dir, 'certificates', 'node.key'), creds.keyPem);
  t.regex(
    (await t.throwsAsync(loadNodeCredentials(dir), { instanceOf: CredentialsFileError }))?.message ?? '',
    /not the key of node.crt/,
  );
  await rm(join(dir, 'certificates', 'root-ca.crt'));
  t.regex(
    (await t.throwsAsync(loadNodeCredentials(dir), { instanceOf: CredentialsFileError }))?.message ?? '',
    /root-ca.crt missing/,
  );
  // Saving refuses a set that does not belong together, and writes nothing.
  const other = await createRootCA({ now: NOW });
  await t.throwsAsync(saveNodeCredentials(dir, { ...creds, rootCAPem: other.certificatePem }), {
    instanceOf: CredentialsFileError,
  });
  t.is(await readFile(join(dir, 'certificates', 'node.key'), 'utf8'), creds.keyPem);
});
