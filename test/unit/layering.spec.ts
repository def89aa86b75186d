import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SRC = resolve(process.cwd(), 'src');
/** Infrastructure, below every feature: it may import itself and the migrations, never a feature. */
const INFRASTRUCTURE = ['config', 'database', 'http', 'logging', 'crypto', 'metrics', 'outbound', 'events'];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** The top folder under src/ (or `migrations`) of each relative import of a file. */
function importedFolders(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  return [...source.matchAll(/^(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/gm)].map(([, specifier]) => {
    const target = relative(SRC, resolve(dirname(file), specifier));
    return target.startsWith('..') ? relative(process.cwd(), resolve(dirname(file), specifier)).split('/')[0] : target.split('/')[0];
  });
}

describe('Layering: infrastructure imports no feature', () => {
  it.each(INFRASTRUCTURE)('src/%s imports only infrastructure and the migrations', (folder) => {
    const outside = filesUnder(join(SRC, folder)).flatMap((file) =>
      importedFolders(file)
        .filter((target) => !INFRASTRUCTURE.includes(target) && target !== 'migrations')
        .map((target) => `${relative(SRC, file)} → ${target}/`),
    );
    expect(outside).toEqual([]);
  });

  it('sees a feature import where there is one (the check above can fail)', () => {
    expect(importedFolders(join(SRC, 'app.module.ts'))).toEqual(expect.arrayContaining(['connections', 'database']));
  });
});
