import { Logger } from '@nestjs/common';
import { getGatewayAuthOptionsToken, type GatewayAuthModuleOptions } from '../lib/index.js';
import { adapterFromEnv, hostFromEnv, portFromEnv } from './sample-config.js';
import { reportStartFailure, startService2 } from './service2.js';

/**
 * Service 2 on its own, configured from the environment:
 *
 *   GATEWAY_JWKS_URI=https://gateway.example.com/.well-known/jwks.json \
 *   GATEWAY_ISSUER='CN=Gateway Signing,O=Example' \
 *   GATEWAY_AUDIENCE_BASE=https://api.example.com \
 *   npm run sample:service
 *
 * Optional: GATEWAY_ALGORITHMS, GATEWAY_TOKEN_HEADER, PORT (3000), HOST (127.0.0.1),
 * GATEWAY_SAMPLE_ADAPTER (express or fastify; express).
 */
async function main(): Promise<void> {
  const env = process.env;
  const adapter = adapterFromEnv(env);
  const service = await startService2({
    env,
    port: portFromEnv(env),
    host: hostFromEnv(env),
    shutdownHooks: true,
    adapter,
  });
  const logger = new Logger('Service2');
  logger.log(`Listening on ${service.url} (${adapter})`);
  const options = service.app.get<GatewayAuthModuleOptions>(getGatewayAuthOptionsToken());
  for (const line of describeOptions(options)) logger.log(line);
}

/** The effective gateway settings, one line each. None is secret; a query string is not shown. */
function describeOptions(options: GatewayAuthModuleOptions): string[] {
  const issuer = options.issuer;
  const issuers = typeof issuer === 'string' ? [issuer] : 'fromCertificate' in issuer ? ['(the signing certificate\'s subject)'] : issuer;
  const audience =
    'baseUrl' in options.audience
      ? `${options.audience.baseUrl} + request path`
      : 'value' in options.audience
        ? [options.audience.value].flat().join(', ')
        : 'computed by audience.resolve';
  return [
    `JWKS:       ${withoutQuery(options.jwksUri)}`,
    `Issuer:     ${issuers.map(issuer => JSON.stringify(issuer)).join(', ')}`,
    `Audience:   ${audience}`,
    `Algorithms: ${options.algorithms ? options.algorithms.join(', ') : 'library default'}`,
    `Token from: ${options.tokenHeader ? `${options.tokenHeader} header` : 'Authorization'}`,
  ];
}

function withoutQuery(uri: string): string {
  const index = uri.search(/[?#]/);
  return index === -1 ? uri : `${uri.slice(0, index)}?…`;
}

main().catch((error: unknown) => reportStartFailure(error, 'Service 2'));
