import { existsSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';

const ROOT = process.cwd();
const DOCUMENTS = ['README.md', 'docs/api.md', 'docs/architecture.md', 'docs/performance.md', 'docs/operations.md', 'bench/README.md', 'sdk/typescript/README.md'];

/** The targets of a Markdown document's links, without their #fragment. */
function linkTargets(markdown: string): string[] {
  return [...markdown.matchAll(/\]\(([^)\s]+)\)/g)].map((match) => match[1].split('#')[0]).filter((target) => target !== '');
}

describe('The documentation', () => {
  it.each(DOCUMENTS)('%s links only to files of the repository, which exist', (document) => {
    const markdown = readFileSync(resolve(ROOT, document), 'utf8');
    for (const target of linkTargets(markdown)) {
      expect({ target, external: /^[a-z]+:/i.test(target) }).toEqual({ target, external: false });
      const path = resolve(dirname(resolve(ROOT, document)), target);
      expect({ target, inside: !relative(ROOT, path).startsWith('..'), exists: existsSync(path) }).toEqual({ target, inside: true, exists: true });
    }
  });

  it('keeps the README under 12 KB', () => {
    expect(readFileSync(resolve(ROOT, 'README.md')).length).toBeLessThanOrEqual(12 * 1024);
  });
});
