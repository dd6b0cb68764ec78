// Keystone's credential schemas (keystone/credential/schema.py): an EC2 credential needs a project.
const properties = {
  blob: { type: 'string' },
  project_id: { type: 'string' },
  type: { type: 'string' },
  user_id: { type: 'string' },
};

export const CREDENTIAL_CREATE = {
  type: 'object',
  properties,
  required: ['blob', 'type', 'user_id'],
  additionalProperties: true,
  oneOf: [
    {
      title: 'ec2 credential requires project_id',
      required: ['blob', 'type', 'user_id', 'project_id'],
      properties: { type: { enum: ['ec2'] } },
    },
    {
      title: 'non-ec2 credential does not require project_id',
      required: ['blob', 'type', 'user_id'],
      properties: { type: { not: { enum: ['ec2'] } } },
    },
  ],
};

export const CREDENTIAL_UPDATE = {
  type: 'object',
  properties,
  minProperties: 1,
  additionalProperties: true,
};

/** POST /v3/users/{id}/credentials/OS-EC2: the project as `tenant_id`. */
export const EC2_CREATE = {
  type: 'object',
  properties: { tenant_id: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['tenant_id'],
};
