import { Controller, Get } from '@nestjs/common';
import { AllowCallers, GatewaySubject } from '../lib/index.js';

/** The one caller allowed to see payments. Compared by meaning, not as a string. */
export const PAYMENTS_CALLER = 'CN=service1,OU=Payments,O=Acme Ltd,C=GB';

/**
 * `GET /payments`: only `CN=service1,OU=Payments,O=Acme Ltd,C=GB` may call it. The same DN in
 * another spelling (`cn=service1, ou=payments, o=acme ltd, c=gb`, or with OIDs such as
 * `2.5.4.3=service1`) is the same caller; any other verified caller gets 403 `caller_not_allowed`.
 */
@Controller('payments')
export class PaymentsController {
  @AllowCallers(PAYMENTS_CALLER)
  @Get()
  list(
    @GatewaySubject() caller: string,
    @GatewaySubject('CN') cn: string | undefined,
  ): { caller: string; cn: string | undefined; payments: readonly { id: string; amount: string }[] } {
    return { caller, cn, payments: [{ id: 'p-1', amount: 'GBP 120.00' }] };
  }
}
