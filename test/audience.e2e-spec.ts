import { Controller, Get, type INestApplication } from '@nestjs/common';
import request from 'supertest';
import { GatewayAudience, GatewaySubject, type GatewayAudienceOptions } from '../lib/index.js';
import { ADAPTERS, createTestApp, OrdersController, type Adapter } from './fixtures/app.js';
import { startJwksServer, type JwksServer } from './fixtures/jwks-server.js';
import { BASE_URL, createTestKey, ISSUER, mint, type TestKey } from './fixtures/tokens.js';

@GatewayAudience('https://reports.example.com')
@Controller('reports')
class ReportsController {
  @Get()
  list(@GatewaySubject() caller: string) {
    return { caller };
  }

  @GatewayAudience(['urn:example:report-42', 'https://reports.example.com/42'])
  @Get('42')
  one(@GatewaySubject() caller: string) {
    return { caller };
  }
}

@Controller('orders')
class OrderItemsController {
  @Get(':id/items')
  items(@GatewaySubject() caller: string) {
    return { caller };
  }
}

let jwks: JwksServer;
let key: TestKey;
beforeAll(async () => {
  key = await createTestKey('aud-1');
  jwks = await startJwksServer([key.jwk]);
});
afterAll(async () => jwks.close());

async function withAudience(
  adapter: Adapter,
  audience: GatewayAudienceOptions,
  run: (call: (path: string, aud: string | string[], headers?: Record<string, string>) => Promise<request.Response>) => Promise<void>,
) {
  const { app } = await createTestApp(
    { jwksUri: jwks.url, issuer: ISSUER, audience },
    { adapter, controllers: [OrdersController, OrderItemsController, ReportsController] },
  );
  const call = async (path: string, aud: string | string[], headers: Record<string, string> = {}) =>
    request((app as INestApplication).getHttpServer())
      .get(path)
      .set({ ...headers, Authorization: `Bearer ${await mint(key, '', { claims: { aud } })}` });
  try {
    await run(call);
  } finally {
    await app.close();
  }
}

const statusAndCode = (response: request.Response) => [response.status, response.body.code];

describe.each(ADAPTERS)('on %s', adapter => {
  describe("audience match: 'prefix'", () => {
    it('covers the path and its children, never a sibling that merely starts alike', async () => {
      await withAudience(adapter, { baseUrl: BASE_URL, match: 'prefix' }, async call => {
        const aud = `${BASE_URL}/orders`;
        expect(statusAndCode(await call('/orders', aud))).toEqual([200, undefined]);
        expect(statusAndCode(await call('/orders/42', aud))).toEqual([200, undefined]);
        expect(statusAndCode(await call('/orders/42/items', aud))).toEqual([200, undefined]);
        expect(statusAndCode(await call('/orders-archive', aud))).toEqual([401, 'audience_mismatch']);
        expect(statusAndCode(await call('/claims', aud))).toEqual([401, 'audience_mismatch']);
        expect(statusAndCode(await call('/orders/42', `${BASE_URL}/orders/4`))).toEqual([401, 'audience_mismatch']);
        expect(statusAndCode(await call('/orders/42', 'https://other.example.com/orders'))).toEqual([401, 'audience_mismatch']);
        expect(statusAndCode(await call('/orders/%2e%2e', aud))).toEqual([401, 'audience_mismatch']);
      });
    });
  });

  describe('audience includeQuery', () => {
    it('makes the query significant on both sides, normalised', async () => {
      await withAudience(adapter, { baseUrl: BASE_URL, includeQuery: true }, async call => {
        expect(statusAndCode(await call('/orders?page=2', `${BASE_URL}/orders?page=%32`))).toEqual([200, undefined]);
        expect(statusAndCode(await call('/orders?page=3', `${BASE_URL}/orders?page=2`))).toEqual([401, 'audience_mismatch']);
        expect(statusAndCode(await call('/orders', `${BASE_URL}/orders?page=2`))).toEqual([401, 'audience_mismatch']);
        expect(statusAndCode(await call('/orders', `${BASE_URL}/orders`))).toEqual([200, undefined]);
      });
    });

    it('is ignored by default: the query is dropped on both sides', async () => {
      await withAudience(adapter, { baseUrl: BASE_URL }, async call => {
        expect(statusAndCode(await call('/orders?page=3', `${BASE_URL}/orders?page=2`))).toEqual([200, undefined]);
      });
    });
  });

  describe('audience trustProxy', () => {
    const forwarded = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'public.example.com' };

    it('takes scheme and host from X-Forwarded-* only when enabled', async () => {
      await withAudience(adapter, { baseUrl: 'http://internal.local/svc', trustProxy: true }, async call => {
        expect(statusAndCode(await call('/orders', 'https://public.example.com/svc/orders', forwarded))).toEqual([200, undefined]);
        expect(statusAndCode(await call('/orders', 'http://internal.local/svc/orders', forwarded))).toEqual([401, 'audience_mismatch']);
        // Without (or with malformed) headers, the configured base URL stands.
        expect(statusAndCode(await call('/orders', 'http://internal.local/svc/orders'))).toEqual([200, undefined]);
        expect(statusAndCode(await call('/orders', 'http://internal.local/svc/orders', { 'X-Forwarded-Proto': 'gopher', 'X-Forwarded-Host': 'x' }))).toEqual([200, undefined]);
        expect(statusAndCode(await call('/orders', 'http://internal.local/svc/orders', { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'evil.example/../x' }))).toEqual([200, undefined]);
      });
    });

    it('ignores X-Forwarded-* by default', async () => {
      await withAudience(adapter, { baseUrl: 'http://internal.local/svc' }, async call => {
        expect(statusAndCode(await call('/orders', 'https://public.example.com/svc/orders', forwarded))).toEqual([401, 'audience_mismatch']);
        expect(statusAndCode(await call('/orders', 'http://internal.local/svc/orders', forwarded))).toEqual([200, undefined]);
      });
    });
  });

  describe('audience resolve', () => {
    it('uses the function\'s answer, and refuses when it throws', async () => {
      await withAudience(
        adapter,
        {
          resolve: incoming => {
            if ((incoming.originalUrl ?? '').startsWith('/orders-archive')) throw new Error('no audience for the archive');
            return [`urn:orders:${incoming.method ?? ''}`];
          },
        },
        async call => {
          expect(statusAndCode(await call('/orders/7', 'urn:orders:GET'))).toEqual([200, undefined]);
          expect(statusAndCode(await call('/orders/7', 'urn:orders:POST'))).toEqual([401, 'audience_mismatch']);
          expect(statusAndCode(await call('/orders-archive', 'urn:orders:GET'))).toEqual([401, 'audience_mismatch']);
        },
      );
    });
  });

  describe('@GatewayAudience', () => {
    it('overrides the derived audience, a method beating its controller', async () => {
      await withAudience(adapter, { baseUrl: BASE_URL }, async call => {
        expect(statusAndCode(await call('/reports', 'HTTPS://reports.example.com:443/'))).toEqual([200, undefined]);
        expect(statusAndCode(await call('/reports', `${BASE_URL}/reports`))).toEqual([401, 'audience_mismatch']);
        expect(statusAndCode(await call('/reports/42', 'urn:example:report-42'))).toEqual([200, undefined]);
        expect(statusAndCode(await call('/reports/42', 'https://reports.example.com/42'))).toEqual([200, undefined]);
        expect(statusAndCode(await call('/reports/42', 'https://reports.example.com'))).toEqual([401, 'audience_mismatch']);
        // Routes without the decorator keep the derived audience.
        expect(statusAndCode(await call('/orders', `${BASE_URL}/orders`))).toEqual([200, undefined]);
      });
    });
  });
});
