// Runs the service's TypeScript in a plain `node` process, as the compiled build would, without a
// build step: `node --require ./test/support/register-ts.cjs src/main.ts`. Each file is transpiled
// alone (no type check: `npm test` runs `tsc --noEmit` first) to CommonJS, as `tsc` emits it.
const { readFileSync } = require('node:fs');
const ts = require('typescript');

const compilerOptions = {
  module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2023,
  experimentalDecorators: true,
  emitDecoratorMetadata: true,
  esModuleInterop: true,
  inlineSourceMap: true,
};

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), { compilerOptions, fileName: filename });
  module._compile(outputText, filename);
};
