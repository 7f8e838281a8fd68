/**
 * Short ASCII cells as strings, fast. Most cells are short ASCII (numbers, dates, timestamps, symbols), and
 * `String.fromCharCode` with the bytes as arguments is a V8 builtin, where `toString('utf8', …)` is a call
 * into C++ per cell: about a third of a scanner's time on a typical page. So a cell of up to SHORT_ASCII
 * bytes known to be ASCII takes one `String.fromCharCode` call with a fixed number of arguments per length
 * (generated once, below). Where code generation is switched off (codegen.ts) it takes `latin1` on the same
 * bytes: ASCII either way, so the same strings. Used by the scanners of both result formats, GetQueryResults'
 * JSON (result-json.ts) and the result file's CSV (csv.ts).
 */
import { compileFunction } from './codegen';

export const SHORT_ASCII = 24;

/** `length` (≤ SHORT_ASCII) bytes from `start`, all below 0x80, as a string. */
export const shortAscii =
  compileFunction<(bytes: Buffer, start: number, length: number) => string>(
    ['b', 's', 'n'],
    `switch (n) {
    case 0: return '';
${Array.from({ length: SHORT_ASCII }, (_, k) => `    case ${k + 1}: return String.fromCharCode(${Array.from({ length: k + 1 }, (_, i) => `b[s + ${i}]`).join(', ')});`).join('\n')}
  }`,
  ) ?? ((bytes: Buffer, start: number, length: number): string => bytes.toString('latin1', start, start + length));
