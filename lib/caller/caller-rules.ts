import { canonicalDn } from '../utils/dn.util.js';
import { parseCallerDn, type VerifiedCaller } from './gateway-caller.js';

/**
 * Who may call: a DN (RFC 4514, or OpenSSL's slash form when it starts with `/`), compared by
 * meaning, or a predicate on the parsed caller.
 * @publicApi
 */
export type CallerRule = string | ((caller: VerifiedCaller) => boolean);

export interface CompiledCallerRules {
  readonly keys: ReadonlySet<string>;
  readonly predicates: readonly ((caller: VerifiedCaller) => boolean)[];
}

/**
 * Parses the DN rules once (at startup), so a request costs one Set lookup.
 * @throws {Error} naming the first rule that is neither a DN nor a function
 */
export function compileCallerRules(rules: readonly CallerRule[]): CompiledCallerRules {
  if (rules.length === 0) throw new Error('no caller is allowed: give at least one DN or predicate');
  const keys = new Set<string>();
  const predicates: ((caller: VerifiedCaller) => boolean)[] = [];
  for (const rule of rules) {
    if (typeof rule === 'function') {
      predicates.push(rule);
    } else if (typeof rule === 'string') {
      try {
        keys.add(canonicalDn(parseCallerDn(rule, rule.startsWith('/') ? 'openssl' : 'rfc4514')));
      } catch (error) {
        throw new Error(`${JSON.stringify(rule)} is not a distinguished name: ${(error as Error).message}`);
      }
    } else {
      throw new Error(`${JSON.stringify(rule)} is neither a DN string nor a function`);
    }
  }
  return { keys, predicates };
}

const compiled = new WeakMap<readonly CallerRule[], CompiledCallerRules>();

/** `compileCallerRules`, once per rules array (decorator metadata is one array per decoration). */
export function compiledCallerRules(rules: readonly CallerRule[]): CompiledCallerRules {
  let result = compiled.get(rules);
  if (!result) {
    result = compileCallerRules(rules);
    compiled.set(rules, result);
  }
  return result;
}

/** A predicate that throws counts as a refusal: when unsure, reject. */
export function callerAllowed(rules: CompiledCallerRules, caller: VerifiedCaller): boolean {
  if (caller.key !== undefined && rules.keys.has(caller.key)) return true;
  return rules.predicates.some(predicate => {
    try {
      return predicate(caller) === true;
    } catch {
      return false;
    }
  });
}

/** True when the rules hold DN strings (which an opaque subject can never match). */
export function hasDnRules(rules: readonly CallerRule[]): boolean {
  return rules.some(rule => typeof rule === 'string');
}
