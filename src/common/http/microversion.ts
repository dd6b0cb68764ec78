// Microversion negotiation (OpenStack-API-Version: <service> X.Y), shared by every service.
import { HttpError } from './errors.js';

/** The versions the code compares against, parsed once: a list view asks gte() per item. */
const known = new Map<string, Version>();

export class Version {
  constructor(
    readonly major: number,
    readonly minor: number,
  ) {}
  static parse(s: string): Version | null {
    const m = /^(\d+)\.(\d+)$/.exec(s.trim());
    return m ? new Version(Number(m[1]), Number(m[2])) : null;
  }
  cmp(o: Version): number {
    return this.major - o.major || this.minor - o.minor;
  }
  /** True when this version is at least `v` ("1.14"). */
  gte(v: string): boolean {
    let other = known.get(v);
    if (!other) known.set(v, (other = Version.parse(v)!));
    return this.cmp(other) >= 0;
  }
  lt(v: string): boolean {
    return !this.gte(v);
  }
  toString(): string {
    return `${this.major}.${this.minor}`;
  }
}

export interface MicroversionPolicy {
  /** Service type as it appears in the header ("placement", "compute"). */
  service: string;
  min: Version;
  max: Version;
  /** Legacy header names honoured when the standard one names no version for the service (e.g.
   * X-OpenStack-Nova-API-Version). */
  legacyHeaders?: string[];
  /** The service's own words for a version it cannot parse (400) or does not serve (406). */
  messages?: {
    invalid(requested: string): string;
    unsupported(requested: Version, min: Version, max: Version): string;
  };
}

/** Reads the requested version; absent → minimum, "latest" → maximum. 400 on garbage, 406 when out of range. */
export function negotiate(policy: MicroversionPolicy, headers: Record<string, string | string[] | undefined>): Version {
  let requested: string | undefined;
  const std = headers['openstack-api-version'];
  const stdValue = Array.isArray(std) ? std.join(',') : std;
  if (stdValue) {
    for (const part of stdValue.split(',')) {
      const [svc, ver] = part.trim().split(/\s+/, 2);
      if (svc?.toLowerCase() === policy.service && ver) requested = ver;
    }
  }
  for (const h of policy.legacyHeaders ?? []) {
    const v = headers[h.toLowerCase()];
    if (requested === undefined && typeof v === 'string') requested = v.trim();
  }
  if (requested === undefined) return policy.min;
  if (requested.toLowerCase() === 'latest') return policy.max;
  const v = Version.parse(requested);
  if (!v) throw new HttpError(400, policy.messages?.invalid(requested) ?? `invalid version string: ${requested}`);
  if (v.cmp(policy.min) < 0 || v.cmp(policy.max) > 0) {
    throw new HttpError(
      406,
      policy.messages?.unsupported(v, policy.min, policy.max) ?? `Unacceptable version header: ${requested}`,
    );
  }
  return v;
}
