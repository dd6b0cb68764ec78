// etc/concord.conf.example is rendered from the option registry; `npx vitest run
// test/common/config_sample.test.ts --update` rewrites it after an option changes.
import { expect, it } from 'vitest';
import { sampleConfig } from '../../src/common/config.js';

it('etc/concord.conf.example documents every option with its default', async () => {
  await expect(sampleConfig()).toMatchFileSnapshot('../../etc/concord.conf.example');
});
