/**
 * Instants as people type them, read the same way by the GraphQL API (the DateTime scalar) and the CLI
 * (`--from/--to`): an ISO-8601 date-time with a zone, or a date alone, which means midnight UTC. UTC
 * rather than the dataset's zone because a DateTime is read before anyone knows which dataset it is for;
 * the service then aligns the window outward to bucket boundaries in the dataset's zone.
 */

// A zone designator is required: a bare local time would mean whatever zone the client happens to be in.
const ISO_INSTANT = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/i;

/** What the messages quote as the accepted forms. */
export const INSTANT_FORMS = 'an ISO-8601 instant with a zone such as 2024-03-04T00:00:00Z (or a date, 2024-03-04, meaning midnight UTC)';

/** Epoch ms of an instant (a date alone is midnight UTC), or undefined when `text` is not one. */
export function parseInstant(text: string): number | undefined {
  const m = ISO_INSTANT.exec(text);
  if (!m) return undefined;
  const ms = Date.parse(m[4] === undefined ? `${text}T00:00:00Z` : text);
  // Date.parse rolls 2024-02-30 over to March 1st; an impossible date is a typo, not a wish.
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const real = new Date(Date.UTC(year, month - 1, day)).getUTCDate() === day;
  return Number.isNaN(ms) || !real ? undefined : ms;
}
