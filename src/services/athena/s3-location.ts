/** `s3://bucket/key` → its bucket and key; undefined for anything else. Athena's OutputLocation is one. */
export function parseS3Uri(uri: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)(?:\/(.*))?$/s.exec(uri);
  return m ? { bucket: m[1]!, key: m[2] ?? '' } : undefined;
}
