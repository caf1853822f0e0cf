// Whether text parsed from JSON is Unicode: JSON can escape a lone UTF-16 surrogate
// ("\ud800"), which no UTF-8 text holds and MariaDB's JSON check refuses.

/**
 * Text with no control character: C0, DEL and C1 (U+009B starts an escape sequence as ESC [
 * does). They have no place in a name shown on the storefront, in facets or in a report's
 * terminal output.
 */
export const noControlCharacters = /^[^\u0000-\u001f\u007f-\u009f]*$/;

/** Every control character of a text, for `replace` (searched queries count them as white space). */
export const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/g;

/** A surrogate without its other half. */
export const loneSurrogate = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Whether every string and key in a parsed JSON value is Unicode text. A lone surrogate had
 * been taken like any other character and then stored as U+FFFD (a user's name), refused by
 * MariaDB's JSON check (a homepage document: a 500; a product: accepted, listed by search,
 * and its document write retried for ever). Walked without recursion: JSON.parse nests
 * deeper than the stack goes.
 */
export function wellFormed(value: unknown): boolean {
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') {
      if (loneSurrogate.test(v)) return false;
    } else if (Array.isArray(v)) {
      for (const inner of v) pending.push(inner);
    } else if (v !== null && typeof v === 'object') {
      for (const [k, inner] of Object.entries(v)) {
        if (loneSurrogate.test(k)) return false;
        pending.push(inner);
      }
    }
  }
  return true;
}
