import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';

/**
 * The auth "header" object of an AppSync real-time handshake (appsync.md §2.2), from whichever of
 * the three places the client used:
 * 1. a `header-<base64url(JSON)>` subprotocol next to `graphql-ws` (Amplify >= 6.6);
 * 2. the `header` query parameter, standard base64 inserted raw into the URL, whose `+` a proxy or
 *    a form decoder may have turned into spaces (Amplify <= 6.5, aws-appsync-subscription-link);
 * 3. plain upgrade headers (`x-api-key` / `Authorization`).
 * Keys are lower-cased so the HTTP authenticator reads them like request headers.
 */
export type Handshake = { ok: true; headers: IncomingHttpHeaders; source: 'subprotocol' | 'query' | 'headers' } | { ok: false };

const HEADER_PROTOCOL = 'header-';

export function handshakeHeaders(req: IncomingMessage): Handshake {
  const protocols = req.headers['sec-websocket-protocol'];
  if (protocols) {
    for (const raw of protocols.split(',')) {
      const p = raw.trim();
      if (p.startsWith(HEADER_PROTOCOL)) return decoded(p.slice(HEADER_PROTOCOL.length), 'subprotocol');
    }
  }
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q !== -1) {
    // Read the raw query: URLSearchParams would turn the base64 '+' into spaces.
    for (const pair of url.slice(q + 1).split('&')) {
      if (!pair.startsWith('header=')) continue;
      let value = pair.slice(7);
      try {
        value = decodeURIComponent(value);
      } catch {
        return { ok: false };
      }
      return decoded(value.replace(/ /g, '+'), 'query');
    }
  }
  return { ok: true, headers: req.headers, source: 'headers' };
}

/** base64 or base64url JSON object -> lower-cased string headers; anything else is malformed. */
export function decodeHeaderObject(encoded: string): IncomingHttpHeaders | undefined {
  if (encoded.length === 0 || encoded.length > 32_768 || !/^[A-Za-z0-9+/_=-]+$/.test(encoded)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(encoded, 'base64').toString('utf8'));
  } catch {
    return undefined;
  }
  return lowerCased(parsed);
}

/** A JSON header object (also a `start` message's `extensions.authorization`) as request headers. */
export function lowerCased(value: unknown): IncomingHttpHeaders | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === 'string') out[k.toLowerCase()] = v;
  }
  return out;
}

function decoded(encoded: string, source: 'subprotocol' | 'query'): Handshake {
  const headers = decodeHeaderObject(encoded);
  return headers ? { ok: true, headers, source } : { ok: false };
}
