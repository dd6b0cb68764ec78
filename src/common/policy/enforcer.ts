// The oslo.policy enforcer: registered defaults, operator overrides, deprecated defaults OR'd in
// until enforce_new_defaults, scope types checked with enforce_scope. Every rule is compiled once,
// when the enforcer is built.
import { forbidden } from '../http/errors.js';
import type { RequestContext } from '../http/context.js';
import type { Enforcer } from './index.js';
import type { PolicyRule } from './rule.js';
import { ALLOW, checkToString, parseCheck, referencedRules, type Check } from './parser.js';
import { evaluate } from './checks.js';
import { credentialsOf, flattenTarget, tokenScope } from './credentials.js';

export interface EnforcerOptions {
  rules: readonly PolicyRule[];
  /** Check strings by rule name, as the operator's policy file gives them. */
  overrides?: Readonly<Record<string, string>>;
  /** [oslo_policy] enforce_scope: refuse tokens whose scope is not in a rule's scope types. */
  enforceScope?: boolean;
  /** [oslo_policy] enforce_new_defaults: drop the deprecated defaults. */
  enforceNewDefaults?: boolean;
  /** Every registered rule allows everyone (but those in `except`); overrides are ignored. */
  open?: boolean | { except: readonly string[] };
  /** The target when a caller gives none (Placement: the caller's own project and user). */
  defaultTarget?: (ctx: RequestContext) => Record<string, unknown>;
}

export class PolicyEnforcer implements Enforcer {
  /** What is wrong with the rules in force (unparsable overrides, dangling or circular references). */
  readonly problems: string[] = [];
  private readonly registered = new Map<string, PolicyRule>();
  private readonly compiled = new Map<string, Check>();
  private readonly effectiveText = new Map<string, string>();
  private readonly enforceScope: boolean;
  private readonly defaultTarget: (ctx: RequestContext) => Record<string, unknown>;

  constructor(opts: EnforcerOptions) {
    this.enforceScope = opts.enforceScope ?? false;
    this.defaultTarget = opts.defaultTarget ?? (() => ({}));
    for (const r of opts.rules) {
      if (this.registered.has(r.name)) throw new Error(`policy rule ${r.name} is registered twice`);
      this.registered.set(r.name, r);
    }
    const overrides = opts.open ? {} : (opts.overrides ?? {});
    const keep = new Set(typeof opts.open === 'object' ? opts.open.except : []);
    for (const [name, text] of Object.entries(overrides)) this.installOverride(name, text, 'the policy file');
    for (const r of opts.rules) {
      if (opts.open && !keep.has(r.name)) this.install(r.name, ALLOW, '@');
      else if (!this.compiled.has(r.name)) this.installDefault(r, overrides, opts.enforceNewDefaults ?? false);
    }
    this.checkReferences();
  }

  allowed(ctx: RequestContext, rule: string, target?: Record<string, unknown>): boolean {
    const registered = this.registered.get(rule);
    // Asking about a rule nobody declared is a bug in the caller, not a refusal (oslo's
    // PolicyNotRegistered).
    if (!registered) throw new Error(`policy rule ${rule} is not registered`);
    const scopes = registered.scopeTypes;
    if (this.enforceScope && scopes?.length && !scopes.includes(tokenScope(ctx))) return false;
    return evaluate(this.compiled.get(rule)!, {
      target: flattenTarget(target ?? this.defaultTarget(ctx)),
      creds: credentialsOf(ctx),
      rule: (name) => this.compiled.get(name),
    });
  }

  enforce(ctx: RequestContext, rule: string, target?: Record<string, unknown>): void {
    if (!this.allowed(ctx, rule, target)) throw forbidden(`Policy does not allow ${rule} to be performed.`);
  }

  /** The check string each rule is evaluated with, after overrides and deprecations. */
  effectiveCheck(name: string): string | undefined {
    return this.effectiveText.get(name);
  }

  private install(name: string, check: Check, text: string): void {
    this.compiled.set(name, check);
    this.effectiveText.set(name, text);
  }

  private installOverride(name: string, text: string, source: string): void {
    const { check, errors } = parseCheck(text);
    if (errors.length) {
      this.problems.push(
        `policy rule ${name} (from ${source}) cannot be used, so it denies everyone: ` +
          `"${text}": ${errors.join('; ')}`,
      );
      this.install(name, check, '!');
    } else {
      this.install(name, check, text);
    }
  }

  private installDefault(r: PolicyRule, overrides: Readonly<Record<string, string>>, newDefaultsOnly: boolean): void {
    const dep = r.deprecatedRule;
    // An operator who kept overriding the rule under its old name keeps that override, unless it
    // merely points at the new rule.
    const oldOverride = dep && dep.name !== r.name ? overrides[dep.name] : undefined;
    if (oldOverride !== undefined && checkToString(parseCheck(oldOverride).check) !== `rule:${r.name}`) {
      this.installOverride(r.name, oldOverride, `the policy file, as ${dep!.name}`);
    } else if (dep && !newDefaultsOnly && dep.checkStr !== r.checkStr) {
      this.install(
        r.name,
        { type: 'or', checks: [parseDefault(r.name, r.checkStr), parseDefault(r.name, dep.checkStr)] },
        `(${r.checkStr || '@'}) or (${dep.checkStr || '@'})`,
      );
    } else {
      this.install(r.name, parseDefault(r.name, r.checkStr), r.checkStr);
    }
  }

  private checkReferences(): void {
    for (const [name, check] of this.compiled) {
      for (const ref of referencedRules(check)) {
        if (!this.compiled.has(ref))
          this.problems.push(`policy rule ${name} refers to rule:${ref}, which is not defined`);
      }
    }
    const done = new Set<string>();
    const visit = (name: string, path: string[]): void => {
      if (path.includes(name)) {
        this.problems.push(
          `policy rules ${[...path.slice(path.indexOf(name)), name].join(' -> ')} refer to each other`,
        );
        return;
      }
      if (done.has(name)) return;
      for (const ref of referencedRules(this.compiled.get(name) ?? ALLOW)) visit(ref, [...path, name]);
      done.add(name);
    };
    for (const name of this.compiled.keys()) visit(name, []);
  }
}

/** Defaults are code: one that does not parse is a bug, found when the service starts. */
function parseDefault(name: string, text: string): Check {
  const { check, errors } = parseCheck(text);
  if (errors.length) throw new Error(`default of policy rule ${name} does not parse: "${text}": ${errors.join('; ')}`);
  return check;
}
