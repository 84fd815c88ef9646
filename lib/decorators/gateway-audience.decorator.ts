import { Reflector } from '@nestjs/core';

/**
 * Sets the audience a route (or every route of a controller) requires, in place of the one the
 * module derives: the token's `aud` must carry one of these values (compared after URI
 * normalisation for `http(s)` values, exactly otherwise). A method's value beats its controller's.
 *
 * @example
 * @GatewayAudience('https://api.example.com/reports')
 * @Get('reports/:id') report() { ... }
 * @publicApi
 */
export const GatewayAudience = Reflector.createDecorator<string | readonly string[]>();
