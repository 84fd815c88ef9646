import { Controller, Get } from '@nestjs/common';
import { Public } from '../lib/index.js';

/** Liveness probe: open without a token, so it takes no caller. */
@Controller('health')
export class HealthController {
  @Public()
  @Get()
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }
}
