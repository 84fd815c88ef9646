import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';
import { Public } from '../lib/index.js';
import { GatewayJwksHealthIndicator } from '../lib/health/index.js';

/** A key set this old (or none yet) is fetched again by the probe before it reports. */
const REFRESH_IF_OLDER_THAN_MS = 60_000;

/**
 * Health probe: open without a token, so it takes no caller. Reports whether this service holds
 * the gateway's signing keys (terminus' body; 503 when it does not). A cold service fetches them
 * here, so the probe tells the truth before the first request.
 */
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly gatewayJwks: GatewayJwksHealthIndicator,
  ) {}

  @Public()
  @Get()
  @HealthCheck()
  check() {
    return this.health.check([
      () => this.gatewayJwks.isHealthy('gateway-jwks', { refreshIfOlderThanMs: REFRESH_IF_OLDER_THAN_MS }),
    ]);
  }
}
