// Runs the service's TypeScript in a plain `node` process, as the compiled build would, without a
// build step: `node --require ./test/support/register-ts.cjs src/main.ts`. Each file is transpiled
// alone (no type check: `npm test` runs `tsc --noEmit` first) to CommonJS, as `tsc` emits it. The
// output is kept under .data/ by the hash of the source, so the next process (a restart, another
// test) starts without loading the compiler: about 2 s instead of 5-7 s on a shared machine.
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, renameSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const CACHE_DIR = join(__dirname, '..', '..', '.data', 'register-ts-cache');
const OPTIONS = { module: 'CommonJS', target: 'ES2023', experimentalDecorators: true, emitDecoratorMetadata: true, esModuleInterop: true, inlineSourceMap: true };
let ts;

function transpile(source, filename) {
  const key = createHash('sha256').update(JSON.stringify(OPTIONS)).update('\0').update(filename).update('\0').update(source).digest('hex');
  const cached = join(CACHE_DIR, `${key}.js`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    ts ??= require('typescript');
    const compilerOptions = {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2023,
      experimentalDecorators: true,
      emitDecoratorMetadata: true,
      esModuleInterop: true,
      inlineSourceMap: true,
    };
    const { outputText } = ts.transpileModule(source, { compilerOptions, fileName: filename });
    // Written aside then renamed: a process reading it meanwhile never sees half a file.
    mkdirSync(CACHE_DIR, { recursive: true });
    const partial = `${cached}.${process.pid}`;
    writeFileSync(partial, outputText);
    renameSync(partial, cached);
    return outputText;
  }
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(transpile(readFileSync(filename, 'utf8'), filename), filename);
};
