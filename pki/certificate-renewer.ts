/**
 * A node's certificate renewing itself (swarmkit's ca/config.go): at a random point between 50 % and 80 %
 * of its lifetime the node asks a manager's CA for a new one with its current certificate (same node id,
 * the role the managers want), saves it, and hands it to whoever serves or dials with it — no restart.
 */
import type { Clock, Logger, Rand } from '../common/index.js';
import { errorMessage, nullLogger } from '../common/index.js';
import { renewNodeCertificate } from './ca-client.js';
import { parseNodeCertificate } from './node-certificate.js';
import { type NodeCredentials, saveNodeCredentials } from './node-credentials.js';
import { RenewalSchedule } from './renewal-schedule.js';

export interface CertificateRenewerOptions {
  /** Where the credentials are saved (`<state-dir>/certificates`). */
  stateDir: string;
  current: NodeCredentials;
  /** Managers' cluster addresses to ask, in this order (the first that answers renews). */
  managers: () => readonly string[];
  /** Installs renewed (and saved) credentials: the server's and the clients' TLS. */
  onRenewed: (creds: NodeCredentials) => void;
  clock: Clock;
  rand: Rand;
  logger?: Logger;
  /** Per-call deadline. @default 10000 */
  timeoutMs?: number;
}

export class CertificateRenewer {
  readonly #o: CertificateRenewerOptions;
  readonly #log: Logger;
  readonly #schedule: RenewalSchedule;
  #current: NodeCredentials;
  /** The last role a renewal was asked for by {@link wantRole}. */
  #asked = '';

  constructor(options: CertificateRenewerOptions) {
    this.#o = options;
    this.#log = (options.logger ?? nullLogger).child({ module: 'pki/renewer' });
    this.#current = options.current;
    this.#schedule = new RenewalSchedule({
      clock: options.clock,
      rand: options.rand,
      renew: () => this.#renew(),
      logger: this.#log,
    });
  }

  /** The credentials in use. */
  get current(): NodeCredentials {
    return this.#current;
  }

  /** When the next renewal is due (ms since the epoch). */
  get nextAt(): number | null {
    return this.#schedule.nextAt;
  }

  start(): void {
    this.#schedule.start(parseNodeCertificate(this.#current.certPem));
  }

  /** Renews at once (a role change); the schedule then follows the new certificate. */
  renewNow(): void {
    this.#schedule.renewNow();
  }

  /**
   * The role the managers want for this node (the dispatcher says it with each heartbeat): when the
   * certificate names another, it is renewed at once — the CA issues the wanted role. Asked once per
   * wanted role; '' or undefined (not known yet) does nothing.
   */
  wantRole(role: string | undefined): void {
    if (role === undefined || role === '' || role === this.#asked) return;
    if (parseNodeCertificate(this.#current.certPem).role === role) return;
    this.#asked = role;
    this.#log.info('the managers want another role: renewing the certificate', { role });
    this.renewNow();
  }

  /** Idempotent; resolves once a renewal in flight ended. */
  stop(): Promise<void> {
    return this.#schedule.stop();
  }

  async #renew(): Promise<{ notBefore: number; notAfter: number }> {
    let last: unknown = new Error('no manager to ask');
    for (const address of this.#o.managers()) {
      try {
        const issued = await renewNodeCertificate({
          address,
          credentials: this.#current,
          timeoutMs: this.#o.timeoutMs ?? 10_000,
        });
        const creds = { keyPem: issued.keyPem, certPem: issued.certPem, rootCAPem: issued.rootCAPem };
        await saveNodeCredentials(this.#o.stateDir, creds);
        this.#current = creds;
        this.#o.onRenewed(creds);
        this.#log.info('certificate renewed', {
          'node.id': issued.nodeId,
          role: issued.role,
          notAfter: new Date(issued.notAfter).toISOString(),
          manager: address,
        });
        return { notBefore: issued.notBefore, notAfter: issued.notAfter };
      } catch (err) {
        last = err;
        this.#log.warn('cannot renew the certificate here', { manager: address, err: errorMessage(err) });
      }
    }
    throw last;
  }
}
