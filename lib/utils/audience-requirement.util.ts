import type { ResolvedAudience } from '../gateway-auth.options.js';
import type { GatewayAudienceRequest } from '../interfaces/gateway-auth-options.interface.js';
import {
  EXACT_MATCH,
  normalizeAudience,
  parseHttpUri,
  routeAudience,
  type AudienceMatching,
  type ParsedHttpUri,
} from './audience.util.js';

/** The audience values (normalised) of which a request's token must carry one, and how to compare. */
export interface AudienceRequirement {
  readonly values: readonly string[];
  readonly matching: AudienceMatching;
}

const FORWARDED_HOST = /^(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * What a request must carry: the route's `@GatewayAudience()` values when it has them, else the
 * module's audience (the route's URL, fixed values, or the resolver's answer). A resolver that
 * throws or answers nothing yields no value, which matches no token.
 */
export function audienceRequirement(
  audience: ResolvedAudience,
  request: GatewayAudienceRequest,
  override: string | readonly string[] | undefined,
): AudienceRequirement {
  if (override !== undefined) {
    return { values: toList(override).map(value => normalizeAudience(value)), matching: EXACT_MATCH };
  }
  switch (audience.kind) {
    case 'static':
      return { values: audience.values, matching: EXACT_MATCH };
    case 'resolve': {
      let resolved: readonly string[];
      try {
        resolved = toList(audience.resolve(request)).filter(value => typeof value === 'string' && value !== '');
      } catch {
        resolved = [];
      }
      return { values: resolved.map(value => normalizeAudience(value)), matching: audience.matching };
    }
    case 'route': {
      const base = audience.trustProxy ? forwardedBase(audience.base, request) : audience.base;
      const value = routeAudience(base, request.originalUrl ?? request.url ?? '', audience.matching.includeQuery);
      return { values: value === undefined ? [] : [value], matching: audience.matching };
    }
  }
}

/**
 * `X-Forwarded-Proto` and `X-Forwarded-Host` (first values) in place of the base URL's scheme and
 * host, keeping its path. Missing or malformed headers leave the base URL as configured.
 */
function forwardedBase(base: ParsedHttpUri, request: GatewayAudienceRequest): ParsedHttpUri {
  const proto = firstValue(request.headers['x-forwarded-proto'])?.toLowerCase();
  const host = firstValue(request.headers['x-forwarded-host']);
  if ((proto !== 'http' && proto !== 'https') || host === undefined || !FORWARDED_HOST.test(host)) {
    return base;
  }
  return parseHttpUri(`${proto}://${host}${base.path}`) ?? base;
}

function firstValue(header: string | readonly string[] | undefined): string | undefined {
  const value = typeof header === 'string' ? header : header?.[0];
  const first = value?.split(',')[0]?.trim();
  return first === '' ? undefined : first;
}

function toList(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}
