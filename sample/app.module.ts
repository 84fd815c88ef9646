import { Module, type DynamicModule } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { GatewayAuthModule } from '../lib/index.js';
import { GatewayAuthHealthModule } from '../lib/health/index.js';
import { HealthController } from './health.controller.js';
import { OrdersController } from './orders.controller.js';
import { PaymentsController } from './payments.controller.js';
import { gatewayOptionsFromEnv } from './sample-config.js';

/** Injection token of the environment the sample reads its settings from. */
export const SAMPLE_ENV = 'SAMPLE:ENV';

/**
 * Provides `SAMPLE_ENV`. It stands in for `ConfigModule`/`ConfigService` so the sample needs no
 * extra package; with `@nestjs/config`, inject `ConfigService` instead (see the README).
 */
@Module({})
export class SampleEnvModule {
  static forEnv(env: NodeJS.ProcessEnv): DynamicModule {
    return {
      module: SampleEnvModule,
      providers: [{ provide: SAMPLE_ENV, useValue: env }],
      exports: [SAMPLE_ENV],
    };
  }
}

/**
 * Service 2: every route is protected by the gateway's JWT unless marked `@Public()`.
 *
 * `AppModule.forEnv(env)` takes the environment as a value, so tests and the demo can pass their
 * own object without touching `process.env`.
 */
@Module({})
export class AppModule {
  static forEnv(env: NodeJS.ProcessEnv = process.env): DynamicModule {
    return {
      module: AppModule,
      imports: [
        GatewayAuthModule.forRootAsync({
          imports: [SampleEnvModule.forEnv(env)],
          inject: [SAMPLE_ENV],
          useFactory: (sampleEnv: NodeJS.ProcessEnv) => gatewayOptionsFromEnv(sampleEnv),
        }),
        TerminusModule,
        GatewayAuthHealthModule,
      ],
      controllers: [OrdersController, PaymentsController, HealthController],
    };
  }
}
