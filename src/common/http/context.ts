// The authenticated caller of a request, as keystonemiddleware (or noauth2) describes it.
export interface RequestContext {
  userId: string | null;
  projectId: string | null;
  domainId?: string | null;
  /** 'all' when the token is system scoped. */
  systemScope: string | null;
  roles: string[];
  /** The raw token, for calls to other services on the user's behalf. Never logged. */
  authToken?: string;
  isService?: boolean;
  /** Extra credentials policy checks may match, beyond the ids, scope and roles above (oslo's
   * to_policy_values as a service extends it; Keystone adds the token itself). */
  policyValues?: Readonly<Record<string, unknown>>;
}

export const ANONYMOUS: RequestContext = { userId: null, projectId: null, systemScope: null, roles: [] };
