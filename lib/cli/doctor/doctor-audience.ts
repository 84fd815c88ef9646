import type { ResolvedAudience } from '../../gateway-auth.options.js';
import type { GatewayAudienceRequest } from '../../interfaces/gateway-auth-options.interface.js';
import { audienceRequirement } from '../../utils/audience-requirement.util.js';
import { audienceMatches, parseHttpUri, type ParsedHttpUri } from '../../utils/audience.util.js';
import type { DoctorRoute } from './doctor-args.js';
import { show, showList } from './doctor-format.js';
import type { DoctorCheck } from './doctor-report.js';

/**
 * The audience check: the required audience as the guard derives it for the route
 * (`audienceRequirement`), compared as the guard compares it (`audienceMatches`); on a mismatch,
 * a guess at what to change.
 */
export function checkAudience(
  audience: ResolvedAudience,
  request: GatewayAudienceRequest,
  route: DoctorRoute,
  tokenAudience: string | readonly string[],
): DoctorCheck {
  const required = audienceRequirement(audience, request, undefined);
  const actual = typeof tokenAudience === 'string' ? [tokenAudience] : tokenAudience;
  const from = derivation(audience, route);
  const prefix = required.matching.mode === 'prefix' ? ' (or a parent path: match prefix)' : '';
  if (required.values.length === 0) {
    return {
      name: 'audience',
      status: 'fail',
      code: 'audience_mismatch',
      detail: `no audience can be derived for ${show(route.target)}${from}, token has ${showList(actual)}`,
      fix: 'the path has dot-segments (. or ..) or is not origin-form, so no token can match it: pass --route with the path as the service receives it',
    };
  }
  if (audienceMatches(actual, required.values, required.matching)) {
    return { name: 'audience', status: 'pass', detail: `${showList(actual)} matches ${showList(required.values)}${prefix}${from}` };
  }
  return {
    name: 'audience',
    status: 'fail',
    code: 'audience_mismatch',
    detail: `expected ${showList(required.values)}${prefix}${from}, token has ${showList(actual)}`,
    fix: audienceFix(audience, route, required.values, actual),
  };
}

function derivation(audience: ResolvedAudience, route: DoctorRoute): string {
  switch (audience.kind) {
    case 'route':
      return ` (audience.baseUrl ${baseText(audience.base)} + ${route.target.split('?')[0] ?? ''})`;
    case 'static':
      return ' (audience.value)';
    case 'resolve':
      return ' (audience.resolve)';
  }
}

function baseText(base: ParsedHttpUri): string {
  return base.origin + (base.path === '/' ? '' : base.path);
}

/** What to change, from the first token audience that suggests something. */
function audienceFix(audience: ResolvedAudience, route: DoctorRoute, required: readonly string[], actual: readonly string[]): string {
  if (audience.kind !== 'route') {
    const first = actual[0];
    return `if ${show(first)} is this service's audience, set --audience / audience.value to it${actual.length > 1 ? ' (or to another of the token\'s values)' : ''}`;
  }
  const base = audience.base;
  const basePath = base.path.endsWith('/') ? base.path.slice(0, -1) : base.path;
  const wanted = parseHttpUri(required[0] ?? '');
  if (!wanted) return 'set --audience-base / audience.baseUrl to the URL the gateway puts before the path in aud';
  const routePath = wanted.path.slice(basePath.length) || '/';
  for (const value of actual) {
    const token = parseHttpUri(value);
    if (!token) {
      return `the token's aud ${show(value)} is not an http(s) URL: if the gateway puts this fixed value in every token, use --audience / audience.value ${show(value)} instead of --audience-base / audience.baseUrl`;
    }
    if (token.origin === wanted.origin && (token.path === `${wanted.path}/` || `${token.path}/` === wanted.path)) {
      const tokenRoute = token.path.slice(basePath.length);
      return `the two differ only by a trailing slash: if the service receives ${show(tokenRoute)}, pass --route '${route.method} ${tokenRoute}'; otherwise the gateway writes aud with a different trailing slash than the path it forwards`;
    }
    if (token.origin === wanted.origin && token.path === wanted.path && audience.matching.includeQuery) {
      return 'the query strings differ: pass the query the token was minted for in --route, or set audience.includeQuery to false (in --config)';
    }
    // The route's path at the end of aud: the gateway puts another base before it (host, listen path).
    if (routePath !== '/' && token.path.endsWith(routePath)) {
      const gatewayBase = token.origin + token.path.slice(0, token.path.length - routePath.length);
      return `the gateway writes ${show(gatewayBase)} before the route's path: set --audience-base / audience.baseUrl to ${show(gatewayBase)}${token.origin === base.origin ? ' (a listen path the gateway strips belongs in baseUrl; one it forwards does not)' : ''}`;
    }
    if (token.origin === wanted.origin && (token.path === basePath || token.path.startsWith(`${basePath}/`))) {
      const tokenRoute = token.path.slice(basePath.length) || '/';
      if (audience.matching.mode === 'exact' && wanted.path.startsWith(`${token.path.endsWith('/') ? token.path : `${token.path}/`}`)) {
        return `the token names a parent path (${tokenRoute}) of the route: if the gateway mints one token per path prefix, set audience.match to 'prefix' (in --config); else pass --route '${route.method} ${tokenRoute}'`;
      }
      return `the token was minted for ${tokenRoute}, not ${routePath}: pass --route '${route.method} ${tokenRoute}' to check it for that route (a token opens only the route it was minted for)`;
    }
  }
  return `the token's aud does not name this service at ${show(baseText(base))}: set --audience-base / audience.baseUrl to the URL the gateway writes before the path, and --route to the route the token was minted for`;
}
