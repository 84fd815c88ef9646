import { SetMetadata } from '@nestjs/common';
import type { CallerRule } from '../caller/caller-rules.js';
import { ALLOW_CALLERS_METADATA } from '../gateway-auth.constants.js';

/**
 * Lets only these callers use a route (or every route of a controller); any other verified caller
 * gets 403 `caller_not_allowed` (RFC 6750 `insufficient_scope`). A rule is a DN, compared by
 * meaning (`cn=service1, ou=payments, o=acme ltd, c=gb` and `2.5.4.3=service1,…` both match
 * `CN=service1,OU=Payments,O=Acme Ltd,C=GB`), or a predicate on the parsed caller. A method's
 * rules replace its controller's, which replace the module's `allowedCallers`. DN strings are
 * parsed when the application starts: a malformed one stops it.
 *
 * @example
 * @AllowCallers('CN=service1,OU=Payments,O=Acme Ltd,C=GB', caller => caller.get('OU') === 'Audit')
 * @Get('payments') payments() { ... }
 * @publicApi
 */
export const AllowCallers = (...rules: CallerRule[]): MethodDecorator & ClassDecorator =>
  SetMetadata(ALLOW_CALLERS_METADATA, rules);
