import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join } from 'node:path';

const root = join(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  name: string;
  type: string;
  files: string[];
  exports: Record<string, Record<string, string> | string>;
  bin?: Record<string, string>;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
  devDependencies?: Record<string, string>;
};

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
}

/** The module specifiers a source file imports or re-exports from. */
function specifiersOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)].map(match => match[1] as string);
}

/** The packages imported by an entry file and every lib/ file it reaches through relative imports. */
function packagesReachedFrom(entry: string): Set<string> {
  const packages = new Set<string>();
  const seen = new Set<string>();
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    if (seen.has(file)) continue;
    seen.add(file);
    for (const specifier of specifiersOf(file)) {
      if (specifier.startsWith('.')) pending.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
      else if (!specifier.startsWith('node:') && !builtinModules.includes(specifier)) packages.add(packageOf(specifier));
    }
  }
  return packages;
}

const optionalPeers = Object.entries(manifest.peerDependenciesMeta ?? {})
  .filter(([, meta]) => meta.optional === true)
  .map(([name]) => name);

describe('package.json', () => {
  it('declares every package that lib/ imports as a dependency or peer dependency', () => {
    const declared = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})]);
    const imported = new Set<string>();
    for (const file of sourceFiles(join(root, 'lib'))) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/from '([^'.][^']*)'/g)) {
        const specifier = match[1] as string;
        if (specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
        imported.add(packageOf(specifier));
      }
    }
    expect(imported.size).toBeGreaterThan(3);
    expect([...imported].filter(name => !declared.has(name))).toEqual([]);
  });

  it('repeats every peer dependency as a dev dependency, for our own tests', () => {
    const dev = manifest.devDependencies ?? {};
    expect(Object.keys(manifest.peerDependencies ?? {}).filter(name => !(name in dev))).toEqual([]);
  });

  it('is an ESM package whose root export has types and a default', () => {
    expect(manifest.name).toBe('nestjs-gateway-auth');
    expect(manifest.type).toBe('module');
    expect(manifest.files).toEqual(['dist']);
    expect(manifest.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
  });

  it('keeps optional peers (@nestjs/terminus) out of the main entry, for apps without them', () => {
    expect(optionalPeers).toEqual(['@nestjs/terminus']);
    const peers = manifest.peerDependencies ?? {};
    expect(optionalPeers.filter(name => !(name in peers))).toEqual([]);
    const main = packagesReachedFrom(join(root, 'lib', 'index.ts'));
    expect(main.has('@nestjs/common')).toBe(true);
    expect(optionalPeers.filter(name => main.has(name))).toEqual([]);
  });

  it('exports the terminus health indicator as the "./health" subpath', () => {
    expect(manifest.exports['./health']).toEqual({ types: './dist/health/index.d.ts', default: './dist/health/index.js' });
    expect(packagesReachedFrom(join(root, 'lib', 'health', 'index.ts')).has('@nestjs/terminus')).toBe(true);
  });

  it('exports the testing kit as the "./testing" subpath, reaching no optional or dev-only package', () => {
    expect(manifest.exports['./testing']).toEqual({ types: './dist/testing/index.d.ts', default: './dist/testing/index.js' });
    const reached = packagesReachedFrom(join(root, 'lib', 'testing', 'index.ts'));
    const required = new Set([...Object.keys(manifest.dependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})].filter(name => !optionalPeers.includes(name)));
    expect(reached.has('@nestjs/common')).toBe(true);
    expect([...reached].filter(name => !required.has(name))).toEqual([]);
  });

  it('installs the doctor command as the "nestjs-gateway-auth" bin, built from lib/cli/main.ts with its shebang', () => {
    expect(manifest.bin).toEqual({ 'nestjs-gateway-auth': './dist/cli/main.js' });
    expect(readFileSync(join(root, 'lib', 'cli', 'main.ts'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
