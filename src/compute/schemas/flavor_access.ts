// Request schemas of POST /flavors/{id}/action (nova/api/openstack/compute/schemas/flavor_access.py).
import { Type } from '@sinclair/typebox';

/** A project id, as flavor_projects holds it. */
const tenant = Type.Object({ tenant: Type.String({ minLength: 1, maxLength: 255 }) }, { additionalProperties: false });

export const addTenantAccess = Type.Object({ addTenantAccess: tenant }, { additionalProperties: false });
export const removeTenantAccess = Type.Object({ removeTenantAccess: tenant }, { additionalProperties: false });
