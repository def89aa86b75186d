import { type CredentialSealer, fromSecretColumns, SEAL_PURPOSE, type SealBinding, type SealedSecretColumns, toSecretColumns } from '../crypto/credential-sealer';
import type { OAuthApp } from './oauth-app.entity';

/** Sealed to its app's row, for this purpose only: it opens nowhere else, and no connection's credentials open as it. */
export function appSecretBinding(appId: string, customerId: string): SealBinding {
  return { connectionId: appId, customerId, purpose: SEAL_PURPOSE.oauthAppSecret };
}

export function sealAppSecret(sealer: CredentialSealer, secret: string, appId: string, customerId: string): SealedSecretColumns {
  return toSecretColumns(sealer.seal({ client_secret: secret }, appSecretBinding(appId, customerId)));
}

export function openAppSecret(sealer: CredentialSealer, app: SealedSecretColumns & Pick<OAuthApp, 'id' | 'customerId'>): string {
  return sealer.open(fromSecretColumns(app), appSecretBinding(app.id, app.customerId)).client_secret as string;
}
