// Where each called service is and how hard to try, from its section of concord.conf.
import { expect, it } from 'vitest';
import { adapterOptionsFromConfig, credentialsFromConfig } from '../../../src/common/clients/index.js';
import { loadConfig } from '../../../src/common/config.js';

it("reads [placement], [glance] and [keystone] as keystoneauth's adapter options", () => {
  const config = loadConfig(undefined, {
    CONCORD_PLACEMENT__VALID_INTERFACES: 'public',
    CONCORD_PLACEMENT__TIMEOUT: '5',
    CONCORD_GLANCE__REGION_NAME: 'RegionTwo',
    CONCORD_GLANCE__STATUS_CODE_RETRIES: '0',
    CONCORD_KEYSTONE__ENDPOINT_OVERRIDE: 'http://keystone.example/identity',
    CONCORD_KEYSTONE__CONNECT_RETRIES: '1',
    CONCORD_KEYSTONE_AUTHTOKEN__USERNAME: 'nova',
    CONCORD_KEYSTONE_AUTHTOKEN__PASSWORD: 'secret',
  });
  expect(adapterOptionsFromConfig(config, 'placement')).toEqual({
    interfaces: ['public'],
    timeoutMs: 5000,
    connectRetries: 3,
    statusCodeRetries: 3,
  });
  expect(adapterOptionsFromConfig(config, 'image')).toEqual({
    interfaces: ['internal', 'public'],
    region: 'RegionTwo',
    timeoutMs: 30000,
    connectRetries: 3,
    statusCodeRetries: 0,
  });
  expect(adapterOptionsFromConfig(config, 'identity')).toMatchObject({
    endpointOverride: 'http://keystone.example/identity',
    connectRetries: 1,
  });
  expect(credentialsFromConfig(config)).toEqual({
    username: 'nova',
    password: 'secret',
    projectName: 'service',
    userDomainName: 'Default',
    projectDomainName: 'Default',
  });
});

it('refuses an interface that is not public, internal or admin', () => {
  const config = loadConfig(undefined, { CONCORD_PLACEMENT__VALID_INTERFACES: 'internal,private' });
  expect(() => adapterOptionsFromConfig(config, 'placement')).toThrow(/private is not one of public, internal, admin/);
});
