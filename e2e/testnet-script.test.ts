// deploy/testnet refuses bad input with one line naming the argument and the rule (exit 2), before it
// touches anything; `down` of a cluster that does not exist succeeds and leaves nothing.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import test from 'ava';
import { Testnet, TestnetError } from '../testing/index.js';

const SCRIPT = new URL('../../deploy/testnet', import.meta.url).pathname;

function refusal(err: unknown): string {
  if (!(err instanceof TestnetError)) throw err;
  return err.message;
}

test('bad arguments are refused with exit 2 and a message naming them; nothing is made', async (t) => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(SCRIPT, args, { env: { ...process.env, ...env } }, (err, _out, stderr) =>
        resolve({ code: err === null ? 0 : Number((err as { code?: number }).code), stderr }),
      );
    });
  const cases: [string[], RegExp][] = [
    [['--name', 'Bad_Name', 'status'], /--name "Bad_Name" must be 1 to 8 characters of \[a-z0-9\]/],
    [['--name', 'tsa', 'frobnicate'], /unknown verb "frobnicate"/],
    [['--name', 'tsa', 'up', '--managers', '9'], /--managers "9" must be an integer in 1\.\.7/],
    [['--name', 'tsa', 'up', '--workers', 'x'], /--workers "x" must be an integer in 0\.\.20/],
    [['--name', 'tsa', 'loss', '10'], /cluster tsa is not up/],
    [['--name', 'tsa', 'kill', 'm1'], /cluster tsa is not up/],
  ];
  for (const [args, message] of cases) {
    const r = await run(args, { TESTNET_DIR: '/tmp/swtnet-tsa' });
    t.is(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    t.regex(r.stderr, message, args.join(' '));
    t.is(r.stderr.trim().split('\n').length, 1, `one line: ${r.stderr}`);
  }
  t.false(existsSync('/tmp/swtnet-tsa'));
  t.false(existsSync('/run/netns/swt-tsa-sw'));
});

test('a cluster that is up refuses unknown hosts and bad percentages; down twice is fine', async (t) => {
  await Testnet.existing('tsb').down(); // what a killed earlier run left
  const net = await Testnet.up('tsb', 1, 0);
  t.teardown(() => net.down().then(() => undefined));
  t.regex(refusal(await net.run('kill', 'w9').catch((e: unknown) => e)), /exit 2\).*host "w9"/s);
  t.regex(
    refusal(await net.loss(101).catch((e: unknown) => e)),
    /exit 2\).*PERCENT "101" must be an integer in 0\.\.100/s,
  );
  t.regex(refusal(await net.partition('mon').catch((e: unknown) => e)), /exit 2\).*never partitioned/s);
  t.regex(refusal(await net.run('up').catch((e: unknown) => e)), /exit 2\).*already exists/s);
  t.regex(
    refusal(await net.run('prometheus', '--publish', '10.0.0.1:9090').catch((e: unknown) => e)),
    /exit 2\).*must be a loopback address/s,
  );
  const hosts = await net.hosts();
  t.deepEqual(
    hosts.map((h) => [h.name, h.role, h.running, h.health]),
    [['m1', 'manager', true, 'ok']],
  );
  await net.down();
  await net.down();
  t.false(existsSync(net.dir));
  t.false(existsSync('/run/netns/swt-tsb-sw'));
});
