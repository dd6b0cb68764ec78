// [import_filtering_opts]: which URLs web-download may fetch, as Glance's validate_import_uri reads
// the options (an allowed list, when set, makes its disallowed twin ignored), with two additions
// that close server-side request forgery holes Glance leaves open:
// - a host list entry that is an IP address or a CIDR block matches addresses, both literal ones in
//   the URL and the addresses a host name resolves to (the fetch checks them before connecting, see
//   web_download.ts), so that `disallowed_hosts = 127.0.0.0/8` also refuses `localhost` and any
//   name an attacker points at the loopback;
// - the port checked is the one connected to: `http://host/` is port 80 (Glance checks only
//   explicit ports).
import { BlockList, isIP } from 'node:net';
import type { Config } from '../../common/config.js';

const DEFAULT_PORTS: Record<string, number> = { http: 80, https: 443, ftp: 21 };

interface HostList {
  names: Set<string>;
  addresses: BlockList;
  hasAddresses: boolean;
}

export interface ImportFilters {
  allowedSchemes: string[];
  disallowedSchemes: string[];
  allowedHosts: HostList | null;
  disallowedHosts: HostList | null;
  allowedPorts: number[];
  disallowedPorts: number[];
}

/** A host name as compared: lower case, without the root's trailing dot, IPv6 without brackets. */
export function normalizeHost(host: string): string {
  return host
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
}

function hostList(entries: string[]): HostList | null {
  if (!entries.length) return null;
  const list: HostList = { names: new Set(), addresses: new BlockList(), hasAddresses: false };
  for (const raw of entries) {
    const entry = normalizeHost(raw.trim());
    const [ip, bits, extra] = entry.split('/');
    const family = isIP(ip!);
    if (family && extra === undefined) {
      const type = family === 4 ? 'ipv4' : 'ipv6';
      const prefix = bits === undefined ? (family === 4 ? 32 : 128) : Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new Error(`[import_filtering_opts]: not an address or network: ${raw}`);
      }
      list.addresses.addSubnet(ip!, prefix, type);
      list.hasAddresses = true;
    } else {
      list.names.add(entry);
    }
  }
  return list;
}

function ports(entries: string[]): number[] {
  return entries.map((p) => {
    const n = Number(p);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new Error(`[import_filtering_opts]: not a port: ${p}`);
    return n;
  });
}

/** The filters in force; throws on an entry that is neither a host, an address, nor a network. */
export function importFilters(
  c: Pick<
    Config,
    | 'importAllowedSchemes'
    | 'importDisallowedSchemes'
    | 'importAllowedHosts'
    | 'importDisallowedHosts'
    | 'importAllowedPorts'
    | 'importDisallowedPorts'
  >,
): ImportFilters {
  const allowedHosts = hostList(c.importAllowedHosts);
  const allowedPorts = ports(c.importAllowedPorts);
  return {
    allowedSchemes: c.importAllowedSchemes,
    disallowedSchemes: c.importAllowedSchemes.length ? [] : c.importDisallowedSchemes,
    allowedHosts,
    disallowedHosts: allowedHosts ? null : hostList(c.importDisallowedHosts),
    allowedPorts,
    disallowedPorts: allowedPorts.length ? [] : ports(c.importDisallowedPorts),
  };
}

function matchesAddress(list: HostList, address: string): boolean {
  const family = isIP(address);
  return family !== 0 && list.addresses.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A URL that passed the filters, with what the fetch connects to. */
export interface FilteredUri {
  url: URL;
  /** The host name (or literal address) without brackets. */
  host: string;
  port: number;
  /** Whether the host's addresses must still be checked once resolved (see addressAllowed). */
  checkAddresses: boolean;
}

/** Whether `uri` passes the filters before any name is resolved; null when it does not. */
export function filterUri(f: ImportFilters, uri: string): FilteredUri | null {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return null;
  }
  // Credentials in a URL would end up wherever URLs are written down (logs, task records).
  if (url.username || url.password) return null;
  const scheme = url.protocol.replace(/:$/, '');
  if (f.allowedSchemes.length ? !f.allowedSchemes.includes(scheme) : f.disallowedSchemes.includes(scheme)) return null;
  const host = normalizeHost(url.hostname);
  if (!host) return null;
  const port = url.port ? Number(url.port) : DEFAULT_PORTS[scheme];
  if (port === undefined) return null;
  if (f.allowedPorts.length ? !f.allowedPorts.includes(port) : f.disallowedPorts.includes(port)) return null;
  const literal = isIP(host) !== 0;
  if (f.allowedHosts) {
    if (f.allowedHosts.names.has(host)) return { url, host, port, checkAddresses: false };
    // Not listed by name: it may still be allowed by the addresses it has.
    if (literal) return matchesAddress(f.allowedHosts, host) ? { url, host, port, checkAddresses: false } : null;
    return f.allowedHosts.hasAddresses ? { url, host, port, checkAddresses: true } : null;
  }
  if (f.disallowedHosts) {
    if (f.disallowedHosts.names.has(host)) return null;
    if (literal) return matchesAddress(f.disallowedHosts, host) ? null : { url, host, port, checkAddresses: false };
    return { url, host, port, checkAddresses: f.disallowedHosts.hasAddresses };
  }
  return { url, host, port, checkAddresses: false };
}

/** Whether the fetch may connect to `address`, one of the addresses `uri`'s host name resolved to. */
export function addressAllowed(f: ImportFilters, uri: FilteredUri, address: string): boolean {
  if (!uri.checkAddresses) return true;
  if (f.allowedHosts) return matchesAddress(f.allowedHosts, address);
  return !f.disallowedHosts || !matchesAddress(f.disallowedHosts, address);
}
