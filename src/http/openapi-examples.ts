/** The example values of the OpenAPI document, in one place, so that related operations show the same ids. */
export const EXAMPLE = {
  customerId: '3f2b8c1e-7a4d-4e1f-9b2a-5c6d7e8f9a01',
  apiKeyId: '8d0c6b4a-2e1f-4a3b-9c5d-6e7f8a9b0c12',
  instanceId: 'c7a1e3f5-9b2d-4c6e-8a0f-1b3d5e7f9a23',
  connectionId: '5e9d7c3b-1a2f-4e6d-8c0b-9a7f5e3d1c34',
  grantId: '1a3c5e7f-9b0d-4f2a-8c4e-6a8c0e2f4b45',
  oauthAppId: '6b8d0f2a-4c6e-4a8b-9d1f-3a5c7e9b1d56',
  webhookId: '9c1e3a5b-7d9f-4b2c-8e4a-6c8e0a2b4d78',
  deliveryId: '2e4a6c8e-0b2d-4f6a-9c1e-3a5c7e9b1f89',
  eventId: '7f9b1d3e-5a7c-4e9b-8d2f-4b6d8f0a2c90',
  errorId: '0d4f6a8c-2e1b-4d3f-9a5c-7e9b1d3f5a67',
  createdAt: '2026-11-22T14:15:22.123Z',
  usedAt: '2026-11-22T14:20:05.482Z',
  expiresAt: '2026-11-22T15:15:21.123Z',
} as const;
