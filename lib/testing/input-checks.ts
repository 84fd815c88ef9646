/** Argument checks of the testing kit: a wrong call fails at once, with a message naming the argument. */

/** Throws a `TypeError` prefixed with the kit's name and the function that was called wrongly. */
export function invalid(where: string, message: string): never {
  throw new TypeError(`nestjs-gateway-auth/testing: ${where}: ${message}`);
}

export const describeValue = (value: unknown): string => {
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'bigint' || typeof value === 'symbol' || typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? String(value);
};

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** An optional plain object (claims, header, options); `{}` when absent. */
export function objectArgument(value: unknown, where: string, name: string): Record<string, unknown> {
  if (value === undefined) return {};
  if (!isPlainObject(value)) invalid(where, `${name} must be a plain object, got ${describeValue(value)}`);
  return value;
}

/** Refuses option names the function does not know (a typo would otherwise be ignored silently). */
export function knownKeys(value: Record<string, unknown>, known: readonly string[], where: string, name: string): void {
  const unknown = Object.keys(value).filter(key => !known.includes(key));
  if (unknown.length > 0) {
    invalid(where, `unknown ${name} ${unknown.map(key => JSON.stringify(key)).join(', ')} (known: ${known.join(', ')})`);
  }
}

export function finiteNumber(
  value: unknown,
  where: string,
  name: string,
  min = -Infinity,
  max = Infinity,
  unit = 'seconds',
): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    const range = Number.isFinite(min) && Number.isFinite(max) ? ` from ${min} to ${max}` : '';
    invalid(where, `${name} must be a finite number${range} (${unit}), got ${describeValue(value)}`);
  }
  return value;
}

export function nonEmptyString(value: unknown, where: string, name: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.trim() === '') invalid(where, `${name} must be a non-empty string, got ${describeValue(value)}`);
  return value;
}
