// The sample policy files in docs/ are rendered from the rules in code; `npx vitest run
// test/common/policy/samples.test.ts --update` rewrites them after a rule changes.
import { describe, expect, it } from 'vitest';
import { renderSamplePolicy } from '../../../src/common/policy/index.js';
import { PLACEMENT_RULES } from '../../../src/placement/policies.js';
import { IDENTITY_RULES } from '../../../src/identity/index.js';
import { IMAGE_RULES } from '../../../src/image/index.js';
import { COMPUTE_RULES } from '../../../src/compute/index.js';

describe('sample policy files', () => {
  it("document Placement's defaults", async () => {
    await expect(renderSamplePolicy(PLACEMENT_RULES)).toMatchFileSnapshot(
      '../../../docs/policy/placement.policy.yaml.sample',
    );
  });

  it("document Identity's defaults", async () => {
    await expect(renderSamplePolicy(IDENTITY_RULES)).toMatchFileSnapshot(
      '../../../docs/policy/identity.policy.yaml.sample',
    );
  });

  it("document Image's defaults", async () => {
    await expect(renderSamplePolicy(IMAGE_RULES)).toMatchFileSnapshot('../../../docs/policy/image.policy.yaml.sample');
  });

  it("document Compute's defaults", async () => {
    await expect(renderSamplePolicy(COMPUTE_RULES)).toMatchFileSnapshot(
      '../../../docs/policy/compute.policy.yaml.sample',
    );
  });
});
