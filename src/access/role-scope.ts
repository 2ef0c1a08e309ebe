import type { ResourcePolicy } from './decide-field.js';
import type { PolicySource, Principal } from './session.js';

/**
 * Reading another department's data is a consumer's right: a token without `consumer` (a provider,
 * auditor, catalogue administrator or platform administrator only) reads its own department's
 * resources and nothing else; to it every other resource is shared with nobody, and its grants count
 * for nothing. Decided once per request, before any field.
 */
export function policyForRoles(policy: PolicySource, principal: Principal): PolicySource {
  if (principal.roles.includes('consumer')) return policy;
  const closed = new Map<string, ResourcePolicy>();
  return {
    resource(code) {
      const resource = policy.resource(code);
      if (!resource || resource.provider === principal.department) return resource;
      let shut = closed.get(code);
      if (!shut) closed.set(code, (shut = { ...resource, sharing: 'none' }));
      return shut;
    },
    grants: () => [],
  };
}
