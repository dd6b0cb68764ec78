// A policy rule as data, in oslo.policy's terms: services declare their defaults in this shape and
// operators override them by name in a policy file.

export type ScopeType = 'system' | 'domain' | 'project';

export interface PolicyRule {
  name: string;
  /** oslo.policy check string; '' allows everyone. */
  checkStr: string;
  description: string;
  /** Token scopes the rule is meant for; only enforced with [oslo_policy] enforce_scope. */
  scopeTypes?: ScopeType[];
  operations?: { path: string; method: string }[];
  /** The default this rule replaced: still honoured (OR'd in) until enforce_new_defaults is set. */
  deprecatedRule?: { name: string; checkStr: string };
}
