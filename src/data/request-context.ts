/** Facts about the request that the data layer records with security events. */
export interface RequestContext {
  readonly ip: string | null;
  readonly userAgent: string | null;
}

export const noRequestContext: RequestContext = Object.freeze({ ip: null, userAgent: null });
