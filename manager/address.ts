/**
 * `host:port` addresses of the cluster port: parsing with clear errors, formatting, and the address a
 * manager advertises when it listens on every interface.
 */

/** A parsed address; `host` is '' for "every interface" (`:4242`), IPv6 literals without brackets. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

const ADDRESS_RE = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+)?:(\d{1,5})$/;

/**
 * Parses `host:port` (`[::1]:4242` for IPv6). `allowEmptyHost` accepts `:4242`; `allowPortZero` accepts
 * port 0 (the OS picks one).
 * @throws TypeError saying what is expected
 */
export function parseAddress(
  value: string,
  options: { allowEmptyHost?: boolean; allowPortZero?: boolean } = {},
): HostPort {
  const m = typeof value === 'string' ? ADDRESS_RE.exec(value) : null;
  if (m === null || (m[1] === undefined && !options.allowEmptyHost))
    throw new TypeError(
      `must be HOST:PORT${options.allowEmptyHost ? ' or :PORT' : ''} (IPv6 as [::1]:PORT), got "${String(value)}"`,
    );
  const port = Number(m[2]);
  const min = options.allowPortZero ? 0 : 1;
  if (port < min || port > 65535) throw new TypeError(`port must be in ${min}-65535, got ${port}`);
  const raw = m[1] ?? '';
  return { host: raw.startsWith('[') ? raw.slice(1, -1) : raw, port };
}

/** `host:port`, with IPv6 literals in brackets. */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** True for the hosts that mean "every interface": '', 0.0.0.0, ::. */
export function isUnspecifiedHost(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::' || host === '0:0:0:0:0:0:0:0';
}

/** The host part to bind: '' (every interface) becomes 0.0.0.0 for gRPC. */
export function bindHost(host: string): string {
  return host === '' ? '0.0.0.0' : host;
}
