import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { compiledCallerRules, hasDnRules, type CallerRule } from './caller/caller-rules.js';
import type { IdentityParamUse } from './decorators/gateway-identity.decorators.js';
import { GatewayAuthConfigError } from './errors/gateway-auth.error.js';
import {
  ALLOW_CALLERS_METADATA,
  GATEWAY_AUTH_RESOLVED_OPTIONS,
  IDENTITY_PARAM_METADATA,
  PUBLIC_ROUTE_METADATA,
} from './gateway-auth.constants.js';
import type { ResolvedGatewayAuthOptions } from './gateway-auth.options.js';
import { resolveAttributeType } from './utils/dn.util.js';

/**
 * Checks every controller when the application starts, so that misuse of the decorators stops
 * it with a message naming the handler instead of failing (or silently passing) at request time:
 * a `@Public()` handler asking for the caller or restricting callers, DN decorators with an opaque
 * subject, unknown attribute types, malformed DNs in `@AllowCallers()`.
 */
@Injectable()
export class GatewayAuthExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
    @Inject(GATEWAY_AUTH_RESOLVED_OPTIONS) private readonly options: ResolvedGatewayAuthOptions,
  ) {}

  onModuleInit(): void {
    const issues: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype;
      if (typeof controller !== 'function') continue;
      issues.push(...this.checkRules(controller.name, Reflect.getMetadata(ALLOW_CALLERS_METADATA, controller)));
      const prototype = controller.prototype as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const handler = prototype[method];
        if (typeof handler !== 'function') continue;
        issues.push(...this.checkHandler(controller, method, handler));
      }
    }
    if (issues.length > 0) throw new GatewayAuthConfigError(issues);
  }

  private checkHandler(controller: Function, method: string, handler: Function): string[] {
    const where = `${controller.name}.${method}`;
    const issues: string[] = [];
    const uses: IdentityParamUse[] = Reflect.getMetadata(IDENTITY_PARAM_METADATA, controller, method) ?? [];
    const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE_METADATA, [handler, controller]) === true;

    if (isPublic && uses.length > 0) {
      const names = [...new Set(uses.map(use => use.decorator))].join(' and ');
      issues.push(`${where}: uses ${names} but is @Public(), so it has no verified caller; remove @Public() or the parameter`);
    }
    if (isPublic && Reflect.getMetadata(ALLOW_CALLERS_METADATA, handler) !== undefined) {
      issues.push(`${where}: has @AllowCallers() but is @Public(), so no caller is checked; remove one of them`);
    }
    for (const use of uses) {
      if (use.needsDn && this.options.subjectFormat === 'opaque') {
        issues.push(`${where}: uses ${use.decorator}, which needs a DN in sub, but subjectFormat is 'opaque'`);
      }
      if (use.attribute !== undefined && resolveAttributeType(use.attribute)?.oid === undefined) {
        issues.push(`${where}: ${use.decorator} names no attribute type; use one such as CN, OU, O, C or a dotted OID`);
      }
    }
    issues.push(...this.checkRules(where, Reflect.getMetadata(ALLOW_CALLERS_METADATA, handler)));
    return issues;
  }

  private checkRules(where: string, rules: readonly CallerRule[] | undefined): string[] {
    if (rules === undefined) return [];
    if (this.options.subjectFormat === 'opaque' && hasDnRules(rules)) {
      return [`${where}: @AllowCallers() lists DNs, but subjectFormat is 'opaque'; use predicates on caller.dn`];
    }
    try {
      compiledCallerRules(rules);
      return [];
    } catch (error) {
      return [`${where}: @AllowCallers(): ${(error as Error).message}`];
    }
  }
}
