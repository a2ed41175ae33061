/**
 * Helpers shared by the guard tests.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/** A finding id without its `@hash` (the part that names rule, object and field). */
export function unbound(id: string): string {
  expect(id).toMatch(/@[0-9a-f]{8}$/);
  return id.replace(/@[0-9a-f]{8}$/, '');
}

/**
 * A fresh temporary folder for each test, removed afterwards. Call at the top of a test file.
 */
export function tempDir(prefix: string): { readonly dir: string; readonly write: (relative: string, text: string) => string } {
  let current = '';
  beforeEach(() => {
    current = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  });
  afterEach(() => {
    fs.rmSync(current, { recursive: true, force: true });
  });
  return {
    get dir() {
      return current;
    },
    /** Writes a file under the folder (creating sub-folders) and returns its path. */
    write: (relative: string, text: string): string => {
      const file = path.join(current, relative);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, text);
      return file;
    },
  };
}
