import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { IDENTITY_PARAM_METADATA, PUBLIC_ROUTE_METADATA } from './gateway-auth.constants.js';
import { GatewayAuthConfigError } from './errors/gateway-auth.error.js';

/**
 * Refuses to start an application in which a `@Public()` handler asks for the caller
 * (`@GatewaySubject()`, `@GatewayClaims()`): it would receive nothing at run time.
 */
@Injectable()
export class GatewayAuthExplorer implements OnModuleInit {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    const issues: string[] = [];
    for (const wrapper of this.discovery.getControllers()) {
      const controller = wrapper.metatype;
      if (typeof controller !== 'function') continue;
      const prototype = controller.prototype as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const decorators: string[] | undefined = Reflect.getMetadata(IDENTITY_PARAM_METADATA, controller, method);
        const handler = prototype[method];
        if (!decorators || typeof handler !== 'function') continue;
        const isPublic = this.reflector.getAllAndOverride<boolean | undefined>(PUBLIC_ROUTE_METADATA, [
          handler,
          controller,
        ]);
        if (isPublic === true) {
          issues.push(
            `${controller.name}.${method}: uses ${[...new Set(decorators)].join(' and ')} but is @Public(), so it has no verified caller; remove @Public() or the parameter`,
          );
        }
      }
    }
    if (issues.length > 0) throw new GatewayAuthConfigError(issues);
  }
}
