/**
 * Where the package is installed and which version it is. Run-time files that are not JavaScript (proto/, the
 * compiled descriptor set) live beside package.json, and this module runs from src/ (tsx), from dist/src/ (the
 * built package) or from node_modules/cmf-mlmd/dist/src/, so paths are found from the package root, not from
 * this file's depth.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PACKAGE_NAME = 'cmf-mlmd';

interface PackageJson {
  name?: string;
  version?: string;
}

function findPackage(start: string): { root: string; json: PackageJson } {
  for (let dir = start; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as PackageJson;
      if (json.name === PACKAGE_NAME) return { root: dir, json };
    }
    if (path.dirname(dir) === dir) throw new Error(`no package.json of ${PACKAGE_NAME} above ${start}`);
  }
}

const found = findPackage(__dirname);

/** The directory holding package.json, proto/ and generated/descriptor-set.binpb. */
export const PACKAGE_ROOT = found.root;
export const PACKAGE_VERSION = found.json.version ?? '0.0.0';
