// The body of POST /v3/auth/tokens (keystone/auth/schema.py's token_issue, restricted to the methods
// and scopes concord implements).
const ref = {
  type: 'object',
  properties: { id: { type: 'string' }, name: { type: 'string' } },
};

const userRef = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    password: { type: 'string' },
    domain: ref,
  },
};

export const TOKEN_ISSUE = {
  type: 'object',
  properties: {
    identity: {
      type: 'object',
      properties: {
        methods: { type: 'array', items: { type: 'string' }, minItems: 1 },
        password: { type: 'object', properties: { user: userRef } },
        token: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] },
        application_credential: {
          type: 'object',
          properties: {
            id: { type: 'string' },
            name: { type: 'string' },
            secret: { type: 'string' },
            user: userRef,
          },
          required: ['secret'],
        },
      },
      required: ['methods'],
    },
    scope: {
      anyOf: [
        { type: 'string', enum: ['unscoped'] },
        {
          type: 'object',
          properties: {
            project: {
              type: 'object',
              properties: { id: { type: 'string' }, name: { type: 'string' }, domain: ref },
            },
            domain: ref,
            system: { type: 'object', properties: { all: { type: 'boolean' } } },
            'OS-TRUST:trust': { type: 'object', properties: { id: { type: 'string' } } },
          },
        },
      ],
    },
  },
  required: ['identity'],
};
