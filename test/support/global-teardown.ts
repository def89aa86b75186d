export default async function globalTeardown(): Promise<void> {
  await (globalThis as { __embeddedPostgres__?: { stop(): Promise<void> } }).__embeddedPostgres__?.stop();
}
