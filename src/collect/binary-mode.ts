import type { BodyItem } from './body.js';
import { dataOfBytes } from './envelope.js';

/**
 * The CloudEvents HTTP binding 1.0's binary content mode (the default of the official SDKs' HTTP emitters):
 * the attributes arrive as ce-* headers and the body is the event's `data`. A request is in binary mode when
 * it carries ce-specversion and its content type is not a CloudEvents one (those are structured or batched,
 * whatever headers come with them).
 */
export function isBinaryMode(headers: Readonly<Record<string, string | string[] | undefined>>): boolean {
  if (headers['ce-specversion'] === undefined) return false;
  const type = String(headers['content-type'] ?? '').toLowerCase();
  return !type.startsWith('application/cloudevents');
}

/**
 * The one event of a binary-mode request, as the JSON object structured mode would have sent: every ce-*
 * header is an attribute (ce-id → id; any one without a place in the envelope is kept as an extension),
 * Content-Type is datacontenttype, and the body is `data` (parsed when JSON, text when textual, else base64).
 */
export function binaryModeItem(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  body: Buffer,
): BodyItem {
  const event: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-') || value === undefined || name.length === 3) continue;
    event[name.slice(3)] = percentDecoded(Array.isArray(value) ? value.join(',') : value);
  }
  const contentType = headers['content-type'];
  if (typeof contentType === 'string' && contentType !== '') event.datacontenttype = contentType;
  const data = dataOfBytes(body, event.datacontenttype ?? 'application/json');
  if (!data.ok) return { index: 0, error: `the body (the event's data) ${data.error}`, raw: body };
  event.data = data.value;
  return { index: 0, value: event };
}

// The binding percent-encodes what a header value cannot hold as it is: space, '"', '%' and non-ASCII text as
// UTF-8 (section 3.1.3.2). Only those sequences are decoded, so a URI's own escapes (%2F in a source) stay as
// sent; a run that is not valid UTF-8 was not encoded by us, and is kept as it came.
function percentDecoded(value: string): string {
  if (!value.includes('%')) return value;
  return value.replace(/(?:%(?:2[025]|[89a-f][0-9a-f]))+/gi, (run) => {
    try {
      return decodeURIComponent(run);
    } catch {
      return run;
    }
  });
}
