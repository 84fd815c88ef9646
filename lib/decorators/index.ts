export * from './public.decorator.js';
export * from './gateway-identity.decorators.js';
export * from './inject-gateway-auth-options.decorator.js';
export * from './gateway-audience.decorator.js';
export * from './allow-callers.decorator.js';
