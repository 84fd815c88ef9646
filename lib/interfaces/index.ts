export * from './gateway-auth-options.interface.js';
export * from './gateway-identity.interface.js';
