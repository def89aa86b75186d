// Lets a child process run the service from its TypeScript sources (`node -r ./test/support/ts-register.cjs
// src/main.ts`), compiled file by file as the build would, without a build step first. Compiled files
// are kept by the hash of their source, so a second process starts without loading the compiler.
const { createHash } = require('node:crypto');
const { mkdirSync, readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const cacheDir = join(process.cwd(), '.data', 'ts-register-cache');
const compilerOptions = { module: 'commonjs', target: 'es2023', experimentalDecorators: true, emitDecoratorMetadata: true, esModuleInterop: true };
let ts;

function compile(source, filename) {
  const key = createHash('sha256').update(JSON.stringify(compilerOptions)).update(filename).update(source).digest('hex');
  const cached = join(cacheDir, `${key}.js`);
  try {
    return readFileSync(cached, 'utf8');
  } catch {
    ts ??= require('typescript');
    const options = ts.convertCompilerOptionsFromJson(compilerOptions, process.cwd()).options;
    const { outputText } = ts.transpileModule(source, { compilerOptions: options, fileName: filename });
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(cached, outputText);
    return outputText;
  }
}

require.extensions['.ts'] = (module, filename) => {
  module._compile(compile(readFileSync(filename, 'utf8'), filename), filename);
};
