/**
 * The stored columns of an event, as the MAC, the sealer, the verifier and the API read them. `seq` comes
 * as text (a bigint): order by `audit_events.seq`, never by the alias, which would sort it as text.
 */
export const EVENT_COLUMNS = `seq::text AS seq, id, customer_id, occurred_at, action, outcome, status, actor_kind, actor_id,
  connection_id, instance_id, grant_id, provider, capability, request_id, key_id, mac`;
