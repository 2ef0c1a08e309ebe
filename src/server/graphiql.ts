import type { GraphiQLOptions } from 'graphql-yoga';
import type { HubServices } from './context.js';
import { devIssuerOf } from './jwks.js';

/** Who the development GraphiQL's demo token speaks for, and why. */
export const GRAPHIQL_DEMO = { department: 'civil-affairs', role: 'consumer', system: 'graphiql-demo', ttl: '1h', purpose: 'low-income-verification' } as const;

const DEFAULT_QUERY = '{\n  hub {\n    departments { code name }\n    purposes { code legalBasis }\n  }\n}\n';

/**
 * GraphiQL's options, per page load. With the development issuer on, the page opens with a
 * working short-lived token (signed now, valid an hour) for the demo's civil-affairs consumer,
 * stating a purpose it holds a grant for, and its title says so: the first query just works.
 * Without the development issuer (and GraphiQL is off in production anyway) the headers name the
 * command that prints a token.
 */
export function graphiqlOptions(hub: Pick<HubServices, 'config'>): () => Promise<GraphiQLOptions> {
  const base = { defaultQuery: DEFAULT_QUERY };
  const stated = { 'x-purpose': GRAPHIQL_DEMO.purpose, 'x-case-number': 'DEMO-0001' };
  return async () => {
    if (!hub.config.devIssuer) {
      return {
        ...base,
        title: 'Huitong (汇通) GraphQL exchange',
        headers: JSON.stringify({ authorization: 'Bearer <npx huitong token --dept civil-affairs>', ...stated }, null, 2),
      };
    }
    const issuer = await devIssuerOf(hub.config.dataDir);
    const token = await issuer.sign(
      { department: GRAPHIQL_DEMO.department, roles: [GRAPHIQL_DEMO.role], system: GRAPHIQL_DEMO.system, ttl: GRAPHIQL_DEMO.ttl },
      hub.config.jwtAudience,
    );
    return {
      ...base,
      title: `Huitong (汇通) GraphQL exchange — demo token: ${GRAPHIQL_DEMO.department} (${GRAPHIQL_DEMO.role}), valid 1 h; reload for a new one`,
      headers: JSON.stringify({ authorization: `Bearer ${token}`, ...stated }, null, 2),
    };
  };
}
