/**
 * SSRF guard: refuse to connect to private, loopback, link-local and otherwise reserved addresses.
 *
 * The check runs inside the `lookup` hook of `net`/`http`, i.e. on the very addresses the socket
 * is about to connect to. Checking a hostname first and connecting later would be open to DNS
 * rebinding (the name resolves to a public address for the check and to 127.0.0.1 for the
 * connection); checking in `lookup` leaves no such gap.
 */
import dns from 'node:dns';
import net from 'node:net';
import { ConfigError, FetchError, describeValue } from '../errors.js';
import { checkBoolean } from '../options/check.js';

/** One address a hostname resolves to, as `dns.lookup` reports it. */
export interface ResolvedAddress {
  /** IPv4 or IPv6 address in text form. */
  address: string;
  /** 4 or 6. */
  family: number;
}

/**
 * Resolves a hostname to all of its addresses. The default uses `dns.lookup` (the operating
 * system's resolver, `/etc/hosts` included); tests and custom DNS setups can supply their own.
 */
export type Resolver = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/** A function usable as the `lookup` option of `http.request` / `net.connect`. */
export type GuardedLookup = net.LookupFunction;

/** Which addresses may be connected to. */
export interface AddressPolicy {
  /**
   * Allow private, loopback and link-local addresses (local development servers, intranets).
   * Off by default so that a crawled page cannot make ragline fetch `http://169.254.169.254/`
   * (cloud credentials) or services on the crawling machine.
   * @default false
   */
  allowPrivateNetwork?: boolean;
  /**
   * Private addresses or subnets to allow anyway, e.g. `['10.1.2.3', '192.168.0.0/24']`: opens
   * one intranet host without opening the whole private network. Ignored when
   * `allowPrivateNetwork` is true.
   * @default []
   */
  allowAddresses?: readonly string[];
  /**
   * Custom resolver (all addresses of a hostname). Every address it returns is still checked.
   * @default dns.lookup with `{ all: true }`
   */
  resolve?: Resolver;
}

/** [network, prefix] pairs of IPv4 space that is not reachable on the public internet. */
const PRIVATE_IPV4: ReadonlyArray<readonly [string, number]> = [
  ['0.0.0.0', 8], // "this network"; 0.0.0.0 reaches the local host on Linux
  ['10.0.0.0', 8], // RFC 1918
  ['100.64.0.0', 10], // carrier-grade NAT (RFC 6598)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, incl. the cloud metadata service 169.254.169.254
  ['172.16.0.0', 12], // RFC 1918
  ['192.0.0.0', 24], // IETF protocol assignments (incl. 192.0.0.192, an older metadata address)
  ['192.0.2.0', 24], // documentation (TEST-NET-1)
  ['192.168.0.0', 16], // RFC 1918
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation (TEST-NET-2)
  ['203.0.113.0', 24], // documentation (TEST-NET-3)
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, incl. the broadcast address 255.255.255.255
];

/** [network, prefix] pairs of IPv6 space that is not reachable on the public internet. */
const PRIVATE_IPV6: ReadonlyArray<readonly [string, number]> = [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b:1::', 48], // local-use NAT64
  ['100::', 64], // discard-only
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local, incl. AWS's metadata address fd00:ec2::254
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated, still routed on some networks)
  ['ff00::', 8], // multicast
];

const privateBlockList = new net.BlockList();
for (const [network, prefix] of PRIVATE_IPV4) privateBlockList.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of PRIVATE_IPV6) privateBlockList.addSubnet(network, prefix, 'ipv6');

/** Parse an IPv6 address (already validated by `net.isIPv6`, zone id stripped) into 8 groups. */
function ipv6Groups(address: string): number[] {
  // A trailing dotted quad (`::ffff:1.2.3.4`) stands for the last two groups: rewrite it in hex.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_match: string, a: string, b: string, c: string, d: string) =>
    `${((Number(a) << 8) | Number(b)).toString(16)}:${((Number(c) << 8) | Number(d)).toString(16)}`,
  );
  const parse = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const [head = '', tail] = text.split('::') as [string, string | undefined];
  const left = parse(head);
  const right = tail === undefined ? [] : parse(tail);
  const zeros = Array<number>(Math.max(0, 8 - left.length - right.length)).fill(0);
  return [...left, ...zeros, ...right];
}

/** The IPv4 address embedded in an IPv6 address, when the IPv6 address is a mere wrapper. */
function embeddedIPv4(address: string): string | undefined {
  const g = ipv6Groups(address);
  const quad = (hi: number, lo: number): string =>
    `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
  const zeros = (from: number, to: number): boolean => g.slice(from, to).every((x) => x === 0);
  // IPv4-mapped ::ffff:a.b.c.d: sockets connect to the IPv4 address itself.
  if (zeros(0, 5) && g[5] === 0xffff) return quad(g[6] ?? 0, g[7] ?? 0);
  // IPv4-compatible ::a.b.c.d (deprecated), but not :: and ::1 which are checked as IPv6.
  if (zeros(0, 6) && ((g[6] ?? 0) !== 0 || (g[7] ?? 0) > 1)) return quad(g[6] ?? 0, g[7] ?? 0);
  // NAT64 64:ff9b::a.b.c.d: the translator forwards to the IPv4 address.
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return quad(g[6] ?? 0, g[7] ?? 0);
  // 6to4 2002:AABB:CCDD::/48 tunnels to the IPv4 address AA.BB.CC.DD.
  if (g[0] === 0x2002) return quad(g[1] ?? 0, g[2] ?? 0);
  return undefined;
}

/** Remove brackets (`[::1]`, as in URL hostnames) and an IPv6 zone id (`fe80::1%eth0`). */
function bareAddress(address: string): string {
  let bare = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  const zone = bare.indexOf('%');
  if (zone !== -1) bare = bare.slice(0, zone);
  return bare;
}

/**
 * Whether an IP address is private, loopback, link-local or otherwise not on the public
 * internet: loopback, RFC 1918, link-local (incl. 169.254.169.254), CGNAT, `0.0.0.0/8`, unique
 * local `fc00::/7`, multicast, broadcast and reserved ranges. IPv6 addresses that wrap an IPv4
 * address (`::ffff:127.0.0.1`, NAT64, 6to4) are judged by the IPv4 address. Text that is not an
 * IP address counts as private: the guard must fail closed.
 */
export function isPrivateAddress(address: string): boolean {
  const bare = bareAddress(address);
  const family = net.isIP(bare);
  if (family === 4) return privateBlockList.check(bare, 'ipv4');
  if (family === 6) {
    const inner = embeddedIPv4(bare);
    if (inner !== undefined && privateBlockList.check(inner, 'ipv4')) return true;
    return privateBlockList.check(bare, 'ipv6');
  }
  return true;
}

/** Build the allow-list of `allowAddresses`, validating every entry. */
function buildAllowList(entries: readonly string[] | undefined): net.BlockList {
  const list = new net.BlockList();
  if (entries === undefined) return list;
  if (!Array.isArray(entries)) {
    throw new ConfigError(
      'allowAddresses',
      entries,
      `allowAddresses must be an array of IP addresses or subnets, got ${describeValue(entries)}.`,
    );
  }
  for (const entry of entries) {
    const [address = '', prefixText, extra] = typeof entry === 'string' ? entry.split('/') : [];
    const family = net.isIP(address);
    const prefix = prefixText === undefined ? undefined : Number(prefixText);
    const maxPrefix = family === 4 ? 32 : 128;
    const valid =
      family !== 0 &&
      extra === undefined &&
      (prefix === undefined || (Number.isInteger(prefix) && prefix >= 0 && prefix <= maxPrefix));
    if (!valid) {
      throw new ConfigError(
        'allowAddresses',
        entry,
        `allowAddresses entry ${describeValue(entry)} is not an IP address or subnet ` +
          `such as 10.1.2.3 or 192.168.0.0/24.`,
      );
    }
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (prefix === undefined) list.addAddress(address, type);
    else list.addSubnet(address, prefix, type);
  }
  return list;
}

/** Resolve with the operating system's resolver, returning every address. */
const systemResolver: Resolver = async (hostname) =>
  dns.promises.lookup(hostname, { all: true, verbatim: true });

/** The address check of one policy, as built by `createAddressGuard`. */
export interface AddressGuard {
  /** The first address among `addresses` that must not be connected to, if any. */
  refusal(addresses: readonly string[]): string | undefined;
  /**
   * A `lookup` for `http.request`/`net.connect` that resolves every address of the hostname and
   * refuses the connection when any of them is refused.
   * @param url names the request in the error message (defaults to the hostname)
   */
  createLookup(url?: string): GuardedLookup;
}

/**
 * Create the guard of a policy: validates the policy (throws `ConfigError`), and returns the
 * address check plus a factory of `lookup` functions for `http.request`.
 *
 * All addresses of a hostname are checked, so a name with one public and one private address is
 * refused whichever the socket would pick. A refusal is a `FetchError` with reason
 * `private-address`.
 *
 * IP-literal hosts never reach a `lookup` (Node connects to them directly): check them with
 * `refusal([hostname])` before the request.
 */
export function createAddressGuard(policy: AddressPolicy = {}): AddressGuard {
  const allowAll = checkBoolean('allowPrivateNetwork', policy.allowPrivateNetwork ?? false);
  if (policy.resolve !== undefined && typeof policy.resolve !== 'function') {
    throw new ConfigError(
      'resolve',
      policy.resolve,
      `resolve must be a function (hostname) => Promise<{ address, family }[]>, ` +
        `got ${describeValue(policy.resolve)}.`,
    );
  }
  const allowList = buildAllowList(policy.allowAddresses);
  const resolve = policy.resolve ?? systemResolver;

  const isAllowed = (address: string): boolean => {
    const bare = bareAddress(address);
    const family = net.isIP(bare);
    if (family === 0) return false;
    if (allowList.check(bare, family === 4 ? 'ipv4' : 'ipv6')) return true;
    const inner = family === 6 ? embeddedIPv4(bare) : undefined;
    return inner !== undefined && allowList.check(inner, 'ipv4');
  };

  const refusal = (addresses: readonly string[]): string | undefined => {
    if (allowAll) return undefined;
    return addresses.find((address) => isPrivateAddress(address) && !isAllowed(address));
  };

  const createLookup =
    (url?: string): GuardedLookup =>
    (hostname, options, callback) => {
      resolve(hostname).then(
        (resolved) => {
          const refused = refusal(resolved.map((entry) => entry.address));
          if (refused !== undefined) {
            callback(privateAddressError(url ?? hostname, hostname, refused), '', 0);
            return;
          }
          // Honour the family the socket asked for (4 or 6 when the caller set one, else 0).
          const family = typeof options.family === 'number' ? options.family : 0;
          const usable = family === 0 ? resolved : resolved.filter((r) => r.family === family);
          const first = usable[0];
          if (first === undefined) {
            const error: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
            error.code = 'ENOTFOUND';
            callback(error, '', 0);
            return;
          }
          // net asks for all addresses when it races IPv4 and IPv6 (autoSelectFamily).
          if (options.all === true) {
            callback(
              null,
              usable.map((r) => ({ address: r.address, family: r.family })),
            );
          } else {
            callback(null, first.address, first.family);
          }
        },
        (error: unknown) => {
          callback(error instanceof Error ? error : new Error(String(error)), '', 0);
        },
      );
    };

  return { refusal, createLookup };
}

/**
 * A guarded `lookup` for `http.request`'s `lookup` option (shorthand for
 * `createAddressGuard(policy).createLookup(policy.url)`).
 */
export function createGuardedLookup(policy: AddressPolicy & { url?: string } = {}): GuardedLookup {
  return createAddressGuard(policy).createLookup(policy.url);
}

/**
 * The `FetchError` for a refused address: one line saying what happened and what to do.
 * @param url the URL being fetched (or the hostname when the URL is unknown)
 * @param host the hostname as written in the URL
 * @param address the refused address
 */
export function privateAddressError(url: string, host: string, address: string): FetchError {
  const what =
    bareAddress(host) === bareAddress(address)
      ? `${address} is a private or loopback address`
      : `it resolves to a private or loopback address (${address})`;
  return new FetchError(
    url,
    'private-address',
    `Refusing to fetch ${url}: ${what}. Pass \`allowPrivateNetwork: true\` to crawl local or intranet sites.`,
  );
}
