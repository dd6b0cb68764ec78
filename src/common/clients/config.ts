// The clients' settings from concord.conf: the service user of [keystone_authtoken], and for each
// service called, where it is and how hard to try ([placement], [glance], [keystone], as Nova
// names those sections).
import type { Config } from '../config.js';
import type { AdapterOptions } from './adapter.js';
import type { Interface } from './catalog.js';
import type { ServiceCredentials } from './session.js';

/** The service user of [keystone_authtoken] (username, password, project and domains). */
export function credentialsFromConfig(config: Config): ServiceCredentials {
  return {
    username: config.keystoneUsername,
    password: config.keystonePassword,
    projectName: config.keystoneProjectName,
    userDomainName: config.keystoneUserDomainName,
    projectDomainName: config.keystoneProjectDomainName,
  };
}

const PREFIXES = { placement: 'placementClient', image: 'imageClient', identity: 'identityClient' } as const;
export type CalledService = keyof typeof PREFIXES;

const INTERFACES: readonly string[] = ['public', 'internal', 'admin'] satisfies Interface[];

/** The adapter options of the section for `service`; a bad valid_interfaces fails the start. */
export function adapterOptionsFromConfig(config: Config, service: CalledService): Omit<AdapterOptions, 'serviceType'> {
  const p = PREFIXES[service];
  const interfaces = config[`${p}ValidInterfaces`];
  const bad = interfaces.find((i) => !INTERFACES.includes(i));
  if (bad !== undefined || !interfaces.length) {
    throw new Error(
      `valid_interfaces of ${service}'s clients: ${bad ?? '(empty)'} is not one of ${INTERFACES.join(', ')}`,
    );
  }
  return {
    interfaces: interfaces as Interface[],
    ...(config[`${p}RegionName`] ? { region: config[`${p}RegionName`] } : {}),
    ...(config[`${p}EndpointOverride`] ? { endpointOverride: config[`${p}EndpointOverride`] } : {}),
    timeoutMs: config[`${p}Timeout`] * 1000,
    connectRetries: config[`${p}ConnectRetries`],
    statusCodeRetries: config[`${p}StatusCodeRetries`],
  };
}
