// `npm run sdk`: the SDK's sources, generated from the committed openapi.json. test/e2e/sdk.e2e-spec.ts
// generates them again into a temporary folder (`-o`) and fails when the committed ones differ.
import { defineConfig } from '@hey-api/openapi-ts';

export default defineConfig({
  input: 'openapi.json',
  output: { path: 'sdk/typescript/src', clean: true },
  plugins: [{ name: '@hey-api/client-fetch', exportFromIndex: true }, '@hey-api/typescript', '@hey-api/sdk'],
  logs: { file: false },
});
