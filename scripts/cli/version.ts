// The version of walcheck: package.json's, found by faults/runtime.ts in a checkout and in
// the package alike.

import { PACKAGE_VERSION } from '../../faults/runtime.ts';

export async function packageVersion(): Promise<string> {
  return PACKAGE_VERSION;
}
