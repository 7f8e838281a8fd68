/** The little XML S3 answers are made of: escaped text, and its date form. */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' };

export function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** `2024-03-05T13:00:00.000Z`, S3's form of a time in XML (headers use the HTTP date). */
export function xmlDate(ms: number): string {
  return new Date(ms).toISOString();
}

/** `<name>text</name>`, escaped; nothing when `text` is undefined. */
export function element(name: string, text: string | number | boolean | undefined): string {
  return text === undefined ? '' : `<${name}>${xmlEscape(String(text))}</${name}>`;
}
