import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { GatewayAuthModuleOptions } from './interfaces/gateway-auth-options.interface.js';

export const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN, OPTIONS_TYPE, ASYNC_OPTIONS_TYPE } =
  new ConfigurableModuleBuilder<GatewayAuthModuleOptions>({ moduleName: 'GatewayAuth' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createGatewayAuthOptions')
    .setExtras({ isGlobal: true }, (definition, extras) => ({
      ...definition,
      global: extras.isGlobal,
    }))
    .build();
