/** Passport strategy names, shared by the strategies and the global guard. */
export const CUSTOMER_OR_ADMIN_STRATEGY = 'customer-or-admin';
export const INSTANCE_STRATEGY = 'instance-proxy-key';
