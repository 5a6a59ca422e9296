/**
 * README.md "How the package is built" is true: each row of its table is a floor, and a source file imports at run
 * time only from floors below its own (type-only imports are erased, so they may point anywhere). Every file under
 * src/ is in the table once.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const PACKAGE = join(dirname(fileURLToPath(import.meta.url)), '..');
const SRC = join(PACKAGE, 'src');

/** The table's rows, top floor first: the backticked file names of each row's first cell. */
function floors(): string[][] {
  const readme = readFileSync(join(PACKAGE, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## How the package is built'));
  const rows = section.split('\n').filter((line) => /^\| `/.test(line));
  return rows.map((row) => [...row.split('|')[1]!.matchAll(/`([^`]+\.ts)`/g)].map((match) => match[1]!));
}

/** Each relative import and re-export of a file, resolved to a path under src/, and whether it is type-only. */
function importsOf(file: string): { target: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, readFileSync(join(SRC, file), 'utf8'), ts.ScriptTarget.Latest);
  const found: { target: string; typeOnly: boolean }[] = [];
  for (const statement of source.statements) {
    if (!ts.isImportDeclaration(statement) && !ts.isExportDeclaration(statement)) continue;
    const specifier = statement.moduleSpecifier;
    if (specifier === undefined || !ts.isStringLiteral(specifier) || !specifier.text.startsWith('.')) continue;
    // Under verbatimModuleSyntax only a whole `import type` / `export type` is erased; `import { type X }` stays.
    const typeOnly = ts.isImportDeclaration(statement) ? statement.importClause?.isTypeOnly === true : statement.isTypeOnly;
    found.push({ target: posix.join(posix.dirname(file), specifier.text).replace(/\.js$/, '.ts'), typeOnly });
  }
  return found;
}

const sourceFiles = (readdirSync(SRC, { recursive: true }) as string[])
  .map((file) => file.split('\\').join('/'))
  .filter((file) => file.endsWith('.ts'))
  .sort();

describe('README "How the package is built"', () => {
  const table = floors();
  const floorOf = new Map(table.flatMap((files, floor) => files.map((file) => [file, floor] as const)));

  it('lists every source file once', () => {
    expect(table.length).toBeGreaterThan(5);
    expect(table.flat().sort()).toEqual(sourceFiles);
  });

  it('has no file importing at run time from its own floor or one above it', () => {
    const upward: string[] = [];
    for (const file of sourceFiles) {
      for (const { target, typeOnly } of importsOf(file)) {
        if (!typeOnly && floorOf.get(target)! <= floorOf.get(file)!) upward.push(`${file} (floor ${floorOf.get(file)}) imports ${target} (floor ${floorOf.get(target)})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('would catch an upward import: the parser sees runtime and type-only imports apart', () => {
    const producer = importsOf('producer.ts');
    expect(producer).toContainEqual({ target: 'recorder.ts', typeOnly: true });
    expect(producer).toContainEqual({ target: 'aggregates.ts', typeOnly: false });
    expect(importsOf('client/request.ts')).toContainEqual({ target: 'api.ts', typeOnly: false });
  });
});
