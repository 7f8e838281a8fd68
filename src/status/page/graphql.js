// GraphQL over HTTP and graphql-ws, with the API key the browser session holds. The same public API any
// client uses: POST /graphql, and the graphql-transport-ws protocol on the same URL.

export class GraphQLRequestError extends Error {
  constructor(message, extensions, status) {
    super(message);
    this.name = 'GraphQLRequestError';
    this.extensions = extensions ?? {};
    this.code = this.extensions.code ?? null;
    this.status = status;
  }
}

function authHeaders(key) {
  return key ? { authorization: `Bearer ${key}` } : {};
}

/** One operation over HTTP: its data, or a GraphQLRequestError with the first error's message and code. */
export async function gql(key, query, variables) {
  const origin = self.location.origin;
  let res;
  try {
    res = await fetch(`${origin}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...authHeaders(key) },
      body: JSON.stringify({ query, variables }),
    });
  } catch (err) {
    throw new GraphQLRequestError(`cannot reach gapwatch at ${origin}: ${err.message}`, { code: 'NETWORK' }, 0);
  }
  let body;
  try {
    body = await res.json();
  } catch {
    throw new GraphQLRequestError(`gapwatch answered HTTP ${res.status} without a GraphQL body`, { code: 'BAD_RESPONSE' }, res.status);
  }
  if (body.errors?.length) {
    const first = body.errors[0];
    throw new GraphQLRequestError(first.message, first.extensions, res.status);
  }
  return body.data;
}

/**
 * Subscriptions over one graphql-ws connection (the graphql-ws client's browser build, served by gapwatch
 * from its own node_modules). It reconnects on its own after a network blip; a refused key (4401/4403)
 * is final and reported through `onAuthFailure`.
 */
export class Live {
  constructor(key, { onState, onAuthFailure }) {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
    this.client = globalThis.graphqlWs.createClient({
      url,
      lazy: true,
      connectionParams: () => authHeaders(key),
      retryAttempts: Infinity,
      shouldRetry: (e) => !(e && (e.code === 4401 || e.code === 4403)),
      on: {
        connected: () => onState('live'),
        closed: (e) => {
          if (e && (e.code === 4401 || e.code === 4403)) onAuthFailure(e.reason);
          else onState('reconnecting');
        },
      },
    });
  }

  /** Calls next(data) per result and error(err) once on failure; returns the unsubscribe function. */
  subscribe(query, variables, { next, error, complete }) {
    return this.client.subscribe(
      { query, variables },
      {
        next: (result) => {
          if (result.errors?.length) {
            const first = result.errors[0];
            error?.(new GraphQLRequestError(first.message, first.extensions, 200));
            return;
          }
          next(result.data);
        },
        error: (err) => {
          const reason = err && typeof err === 'object' && 'reason' in err ? `the connection closed (${err.code}: ${err.reason || 'no reason'})` : Array.isArray(err) ? err.map((e) => e.message).join('; ') : String(err?.message ?? err);
          error?.(new GraphQLRequestError(reason, { code: Array.isArray(err) ? err[0]?.extensions?.code : 'CLOSED' }, 0));
        },
        complete: () => complete?.(),
      },
    );
  }

  dispose() {
    void this.client.dispose();
  }
}
