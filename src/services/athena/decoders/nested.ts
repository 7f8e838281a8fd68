/**
 * The nested-text parser. Athena prints arrays as `[a, b]`, maps as `{k=v, k2=v2}` and rows as
 * `{x=1, y=abc}`: strings unquoted, elements joined by ", ", NULL as `null`. The text is ambiguous (a
 * varchar element holding ", " or "]" cannot be told from a separator), so the parser is best-effort: it
 * splits on ", " and on brackets balanced at the current depth, and with a type hint it knows which shape
 * to expect and decodes each element with the scalar decoders.
 *
 * Pure: text in, value out; a structural problem becomes an invalid marker for the cell.
 */
import type { AthenaType } from '../types';
import { setKey, uniqueName } from './keys';
import { scalarDecoder } from './scalars';
import { invalid, isInvalid, type Decode, type InvalidValue, type TypedValue } from './values';

/** Structural failure inside a nested cell; caught per cell and turned into an invalid marker. */
class NestedSyntax {
  constructor(readonly reason: string) {}
}

export interface Node {
  /** Decode the value starting at `pos`, ending before `close` (or ", ") at depth 0. */
  (s: string, pos: number, close: number): [TypedValue, number];
}

const OPEN_SQ = 91;
const CLOSE_SQ = 93;
const OPEN_CU = 123;
const CLOSE_CU = 125;
const COMMA = 44;
const SPACE = 32;
const EQUALS = 61;

/**
 * End of an atom starting at `pos`: the first ", " or closing bracket at depth 0 (or the end of the
 * text when `close` is -1, i.e. at the top level). Brackets inside an atom are balanced so a nested
 * value kept as text (no hint) stays whole.
 */
function atomEnd(s: string, pos: number, close: number, stopAtEquals: boolean): number {
  let depth = 0;
  const n = s.length;
  for (let i = pos; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === OPEN_SQ || c === OPEN_CU) depth++;
    else if (c === CLOSE_SQ || c === CLOSE_CU) {
      if (depth === 0) {
        if (close === -1) continue;
        return i;
      }
      depth--;
    } else if (depth === 0 && close !== -1) {
      if (c === COMMA && s.charCodeAt(i + 1) === SPACE) return i;
      if (stopAtEquals && c === EQUALS) return i;
    }
  }
  if (close !== -1) throw new NestedSyntax(`missing "${String.fromCharCode(close)}"`);
  return n;
}

function isNullAt(s: string, pos: number, end: number): boolean {
  return end - pos === 4 && s.startsWith('null', pos);
}

function scalarNode(decode: Decode | null): Node {
  return (s, pos, close) => {
    const end = atomEnd(s, pos, close, false);
    if (isNullAt(s, pos, end)) return [null, end];
    const text = s.slice(pos, end);
    return [decode === null ? text : decode(text), end];
  };
}

/** Parse a separated sequence inside `open…close`, calling `item` for each element. */
function sequence(s: string, pos: number, open: number, close: number, item: (pos: number) => number): number {
  if (s.charCodeAt(pos) !== open) throw new NestedSyntax(`expected "${String.fromCharCode(open)}" at ${pos}`);
  let i = pos + 1;
  if (s.charCodeAt(i) === close) return i + 1;
  for (;;) {
    i = item(i);
    const c = s.charCodeAt(i);
    if (c === close) return i + 1;
    if (c === COMMA && s.charCodeAt(i + 1) === SPACE) i += 2;
    else throw new NestedSyntax(`expected ", " or "${String.fromCharCode(close)}" at ${i}`);
  }
}

function arrayNode(element: Node): Node {
  return (s, pos, close) => {
    if (s.charCodeAt(pos) !== OPEN_SQ) {
      const end = atomEnd(s, pos, close, false);
      if (isNullAt(s, pos, end)) return [null, end];
      throw new NestedSyntax(`expected "[" at ${pos}`);
    }
    const out: TypedValue[] = [];
    const end = sequence(s, pos, OPEN_SQ, CLOSE_SQ, (i) => {
      const [v, next] = element(s, i, CLOSE_SQ);
      out.push(v);
      return next;
    });
    return [out, end];
  };
}

/**
 * `{k=v, …}` for maps and rows. `fieldName(i, textKey)` picks the object key of entry i; `value(i)` its
 * decoder; `key` (maps only) validates and normalises the key text.
 */
function entriesNode(
  fieldName: (i: number, textKey: string | null) => string,
  value: (i: number) => Node,
  key: Decode | null,
  isRow: boolean,
): Node {
  return (s, pos, close) => {
    if (s.charCodeAt(pos) !== OPEN_CU) {
      const end = atomEnd(s, pos, close, false);
      if (isNullAt(s, pos, end)) return [null, end];
      throw new NestedSyntax(`expected "{" at ${pos}`);
    }
    const out: Record<string, TypedValue> = {};
    const used = new Set<string>();
    let index = 0;
    const end = sequence(s, pos, OPEN_CU, CLOSE_CU, (i) => {
      const keyEnd = atomEnd(s, i, CLOSE_CU, true);
      let textKey: string | null = null;
      let at = i;
      if (s.charCodeAt(keyEnd) === EQUALS) {
        textKey = s.slice(i, keyEnd);
        at = keyEnd + 1;
      } else if (!isRow) {
        throw new NestedSyntax(`expected "=" after map key at ${keyEnd}`);
      }
      let name = fieldName(index, textKey);
      if (key !== null) {
        const k = key(name);
        if (isInvalid(k)) throw new NestedSyntax(`map key ${JSON.stringify(name)}: ${(k as InvalidValue).reason}`);
        name = typeof k === 'string' ? k : JSON.stringify(k);
      }
      name = uniqueName(name, used);
      const [v, next] = value(index)(s, at, CLOSE_CU);
      setKey(out, name, v);
      index++;
      return next;
    });
    return [out, end];
  };
}

/** A node for a hinted type: containers recurse, scalars use the same decoders as top-level cells. */
export function typedNode(t: AthenaType): Node {
  switch (t.kind) {
    case 'scalar':
      return scalarNode(scalarDecoder(t.name, t.params[0], t.params[1]).decode);
    case 'array':
      return arrayNode(typedNode(t.element));
    case 'map':
      return entriesNode(
        (_i, k) => k ?? '',
        ((v) => () => v)(typedNode(t.value)),
        t.key.kind === 'scalar' ? scalarDecoder(t.key.name, t.key.params[0], t.key.params[1]).decode : null,
        false,
      );
    case 'row': {
      const fields = t.fields.map((f) => typedNode(f.type));
      return entriesNode(
        (i, k) => t.fields[i]?.name ?? k ?? `field${i}`,
        (i) => {
          const f = fields[i];
          if (f === undefined) throw new NestedSyntax(`more fields than the hint's ${fields.length}`);
          return f;
        },
        null,
        true,
      );
    }
    default: {
      const never: never = t;
      throw new Error(`unreachable type ${JSON.stringify(never)}`);
    }
  }
}

/** Without a hint: arrays of strings, maps and rows as objects of strings; nested values stay text. */
export function untypedNode(kind: 'array' | 'map' | 'row'): Node {
  const text = scalarNode(null);
  if (kind === 'array') return arrayNode(text);
  return entriesNode((i, k) => k ?? `field${i}`, () => text, null, kind === 'row');
}

export function nestedDecoder(node: Node): Decode {
  return (raw) => {
    try {
      const [v, end] = node(raw, 0, -1);
      if (end !== raw.length) return invalid(raw, `unexpected text after position ${end}`);
      return v;
    } catch (e) {
      if (e instanceof NestedSyntax) return invalid(raw, e.reason);
      throw e;
    }
  };
}
