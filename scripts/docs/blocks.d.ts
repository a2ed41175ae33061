/** A TypeScript block of a Markdown file (see blocks.js). */
export interface Block {
  readonly file: string;
  readonly line: number;
  readonly code: string;
  readonly fragment: boolean;
  readonly throws?: RegExp;
}
export function readBlocks(file: string, label?: string): Block[];
export function importedNames(code: string): Set<string>;
export function prelude(libraryNames: string[], code: string): string;
