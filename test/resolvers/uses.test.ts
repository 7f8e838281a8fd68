import 'reflect-metadata';
import { RESOLVERS } from '../../src/schema/build';
import { construct, servicesUsedBy, Uses } from '../../src/resolvers/uses';
import type { Services } from '../../src/services';
import type { AthenaService } from '../../src/services/athena/athena.service';
import type { QueriesService } from '../../src/services/athena/queries.service';

/** A Services bag whose every member is a distinct marker object, so the test sees which one went where. */
function markedServices(): Services {
  const markers = new Map<PropertyKey, object>();
  return new Proxy({} as Services, {
    get: (_, name) => {
      if (!markers.has(name)) markers.set(name, { service: name });
      return markers.get(name);
    },
  });
}

describe('@Uses: a resolver gets the services it names', () => {
  it('passes exactly the named services, in the order named', () => {
    @Uses('queries', 'athena')
    class Example {
      constructor(
        readonly first: QueriesService,
        readonly second: AthenaService,
      ) {}
    }
    const services = markedServices();
    const example = construct(Example, services) as Example;
    expect(example.first).toBe(services.queries);
    expect(example.second).toBe(services.athena);
  });

  it('refuses to construct a resolver that does not declare its services', () => {
    class Undeclared {}
    expect(() => construct(Undeclared, markedServices())).toThrow('resolver Undeclared does not declare its services with @Uses(...)');
  });

  it('every resolver of the API declares its services (none is fine), holds those, and never the whole bag', () => {
    const services = markedServices();
    for (const cls of RESOLVERS) {
      const held = Object.values(construct(cls, services));
      expect(held).not.toContain(services);
      const heldServices = held.filter((v) => typeof (v as { service?: unknown }).service === 'string');
      expect(new Set(heldServices)).toStrictEqual(new Set(servicesUsedBy(cls)!.map((name) => services[name])));
    }
  });

  it('the compiler checks the names against the constructor (npm run typecheck fails otherwise)', () => {
    // @ts-expect-error: 'gaps' is a GapsService, not the AthenaService this constructor wants.
    @Uses('gaps')
    class Mismatched {
      constructor(readonly athena: AthenaService) {}
    }
    expect(Mismatched).toBeDefined();
  });
});
