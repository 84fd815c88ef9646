/** Longest value shown in full; longer ones are cut (a claim is not secret, but may be huge). */
export const MAX_SHOWN = 200;

/** A value from the token, quoted (JSON) and cut to `MAX_SHOWN` characters. */
export function show(value: unknown): string {
  const text = value === undefined ? 'absent' : (JSON.stringify(value) ?? String(value));
  return text.length > MAX_SHOWN + 2 ? `${text.slice(0, MAX_SHOWN)}…(${text.length} chars)` : text;
}

/** A list of values, each `show`n, joined with "or". */
export function showList(values: readonly unknown[]): string {
  return values.map(show).join(' or ');
}

/** Plain text from the token or a message, cut to `MAX_SHOWN` characters. */
export function clip(text: string): string {
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
}

/** A NumericDate as an ISO date (seconds precision), or the raw value when it is not a number. */
export function isoDate(seconds: unknown): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || Math.abs(seconds) > 8.64e12) return show(seconds);
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `in 1 min 58 s` or `2 min 3 s ago`, from `nowMs`. */
export function relative(seconds: unknown, nowMs: number): string {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds)) return 'not a number';
  const delta = Math.round(seconds - nowMs / 1000);
  const span = duration(Math.abs(delta));
  return delta >= 0 ? `in ${span}` : `${span} ago`;
}

/** `45 s`, `3 min 5 s`, `2 h 10 min`, `3 d 4 h`. */
export function duration(totalSeconds: number): string {
  const s = Math.round(totalSeconds);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
  return `${Math.floor(s / 86_400)} d${Math.floor((s % 86_400) / 3600) ? ` ${Math.floor((s % 86_400) / 3600)} h` : ''}`;
}

/** An error's message, or its text. */
export function messageOf(error: unknown): string {
  return clip(error instanceof Error ? error.message : String(error));
}

/** A URL without its query string and fragment (they may carry credentials). */
export function withoutQuery(url: string): string {
  const cut = url.search(/[?#]/);
  return cut === -1 ? url : url.slice(0, cut);
}
