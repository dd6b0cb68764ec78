// Builds a service's enforcer from its rules and the [oslo_policy] options.
import type { Config } from '../config.js';
import { PolicyEnforcer, type EnforcerOptions } from './enforcer.js';
import { policyFilePath, readPolicyFile } from './file.js';

export interface CreateEnforcerOptions extends Omit<
  EnforcerOptions,
  'overrides' | 'enforceScope' | 'enforceNewDefaults'
> {
  config: Pick<Config, 'policyFile' | 'enforceScope' | 'enforceNewDefaults'>;
  /** Where a relative policy_file is looked for: the directory of concord.conf. */
  configDir: string;
  /** Told, once, what is wrong with the operator's rules (they deny rather than fail). */
  log?: { warn(msg: string): void };
}

export function createEnforcer(opts: CreateEnforcerOptions): PolicyEnforcer {
  const { config, configDir, log, ...rest } = opts;
  const file = config.policyFile ? readPolicyFile(policyFilePath(config.policyFile, configDir)) : null;
  const enforcer = new PolicyEnforcer({
    ...rest,
    overrides: file?.rules,
    enforceScope: config.enforceScope,
    enforceNewDefaults: config.enforceNewDefaults,
  });
  for (const p of enforcer.problems) log?.warn(file ? `${file.path}: ${p}` : p);
  return enforcer;
}
