/** What a sweep decides about one port. */
export type PortState = 'open' | 'closed' | 'filtered';
export const PORT_STATES = ['open', 'closed', 'filtered'] as const;
