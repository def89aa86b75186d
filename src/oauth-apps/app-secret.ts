import { type CredentialSealer, SEAL_PURPOSE, type SealBinding } from '../crypto/credential-sealer';
import type { OAuthApp } from './oauth-app.entity';

/** Sealed to its app's row, for this purpose only: it opens nowhere else, and no connection's credentials open as it. */
export function appSecretBinding(appId: string, customerId: string): SealBinding {
  return { connectionId: appId, customerId, purpose: SEAL_PURPOSE.oauthAppSecret };
}

export function sealAppSecret(sealer: CredentialSealer, secret: string, appId: string, customerId: string): Pick<OAuthApp, 'secretCiphertext' | 'secretNonce' | 'wrappedDataKey' | 'keyId'> {
  const sealed = sealer.seal({ client_secret: secret }, appSecretBinding(appId, customerId));
  return { secretCiphertext: sealed.ciphertext, secretNonce: sealed.nonce, wrappedDataKey: sealed.wrappedDataKey, keyId: sealed.keyId };
}

export function openAppSecret(sealer: CredentialSealer, app: Pick<OAuthApp, 'id' | 'customerId' | 'secretCiphertext' | 'secretNonce' | 'wrappedDataKey' | 'keyId'>): string {
  const opened = sealer.open(
    { ciphertext: app.secretCiphertext, nonce: app.secretNonce, wrappedDataKey: app.wrappedDataKey, keyId: app.keyId },
    appSecretBinding(app.id, app.customerId),
  );
  return opened.client_secret as string;
}
