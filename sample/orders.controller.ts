import { Controller, Get, NotFoundException, Param } from '@nestjs/common';
import { GatewaySubject } from '../lib/index.js';

/** One order of the sample's fixed data set. */
export interface Order {
  readonly id: string;
  readonly item: string;
  readonly quantity: number;
  readonly status: 'open' | 'shipped' | 'delivered';
}

const ORDERS: readonly Order[] = [
  { id: '41', item: 'Ledger paper, A4', quantity: 10, status: 'delivered' },
  { id: '42', item: 'Fountain pen', quantity: 2, status: 'shipped' },
  { id: '43', item: 'Filing cabinet', quantity: 1, status: 'open' },
];

const ARCHIVED: readonly Order[] = [
  { id: '7', item: 'Typewriter ribbon', quantity: 5, status: 'delivered' },
];

/**
 * Service 2's business routes. None is `@Public()`, so the global `GatewayAuthGuard` verifies the
 * gateway token on each, and the token's `aud` must be this exact route's URL: a token minted for
 * `/orders` opens neither `/orders/42` nor the sibling `/orders-archive`.
 *
 * Every answer carries `caller`, the verified Subject DN of the client certificate the gateway saw
 * (e.g. `CN=service1,OU=Payments,O=Acme Ltd,C=GB`); `GET /orders` adds its common name as `cn`.
 * The `caller` and `cn` fields are a public contract.
 */
@Controller()
export class OrdersController {
  @Get('orders')
  list(
    @GatewaySubject() caller: string,
    @GatewaySubject('CN') cn: string | undefined,
  ): { caller: string; cn: string | undefined; orders: readonly Order[] } {
    return { caller, cn, orders: ORDERS };
  }

  @Get('orders/:id')
  show(
    @GatewaySubject() caller: string,
    @Param('id') id: string,
  ): { caller: string; order: Order } {
    const order = ORDERS.find(candidate => candidate.id === id);
    if (!order) throw new NotFoundException(`No order ${id}`);
    return { caller, order };
  }

  @Get('orders-archive')
  archive(@GatewaySubject() caller: string): { caller: string; archived: readonly Order[] } {
    return { caller, archived: ARCHIVED };
  }
}
