/**
 * Object keys made from data: column names for `toObject`, map keys and row field names for nested
 * values. Names may repeat, be empty or be `__proto__`; every key comes out unique and an own property.
 */
import type { TypedValue } from './values';

/**
 * Unique object keys, positional: every first occurrence of a name keeps it; a later duplicate gets
 * `_2`, `_3`, … (skipping names already taken by other columns); an empty name becomes `_col<i>`
 * (i = 0-based position, Athena's own naming for unnamed columns).
 */
export function uniqueKeys(names: readonly string[]): string[] {
  const bases = names.map((n, i) => (n === '' ? `_col${i}` : n));
  const used = new Set<string>();
  const keys: (string | undefined)[] = bases.map((b) => {
    if (used.has(b)) return undefined;
    used.add(b);
    return b;
  });
  return keys.map((k, i) => {
    if (k !== undefined) return k;
    const base = bases[i]!;
    let n = 2;
    while (used.has(`${base}_${n}`)) n++;
    const key = `${base}_${n}`;
    used.add(key);
    return key;
  });
}

/** `base`, or `base_2`, `base_3`, … : the first not yet in `used`, which it joins. */
export function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
  used.add(name);
  return name;
}

/** Object keys come from data; `__proto__` must stay an own key, not replace the prototype. */
export function setKey(obj: Record<string, TypedValue>, key: string, value: TypedValue): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}
