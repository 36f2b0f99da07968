/**
 * No Paceline request nests values more than a few levels deep; 32 leaves room for any future
 * schema while keeping every walk over input (these checks, validation, logging) cheap.
 */
export const maxNestingDepth = 32;

export interface InputProblem {
  detail: string;
  path: string;
  message: string;
}

interface Visit {
  value: unknown;
  path: string;
  key: string | null;
  level: number;
}

const nul = '\u0000';

/** A key as a JSON-pointer token (RFC 6901), as Ajv writes paths. */
function pointerToken(key: string): string {
  return key.replaceAll('~', '~0').replaceAll('/', '~1');
}

function nulProblem(path: string): InputProblem {
  return { detail: 'Text must not contain the NUL character.', path: path || '/', message: 'must not contain the NUL character' };
}

/**
 * The first problem, in document order, that route schemas cannot express:
 * - NUL is valid JSON and valid in a URL, but no text column can hold it (PostgreSQL refuses it);
 * - nesting past `maxNestingDepth` levels.
 * The walk keeps its own stack: hostile JSON nested thousands of levels deep would overflow the
 * call stack of a recursive walk and turn a bad request into a 500.
 */
export function findInputProblem(root: unknown, rootPath: string): InputProblem | null {
  const stack: Visit[] = [{ value: root, path: rootPath, key: null, level: 1 }];
  for (let visit = stack.pop(); visit !== undefined; visit = stack.pop()) {
    const { value, path, key, level } = visit;
    if (key?.includes(nul)) return nulProblem(path);
    if (typeof value === 'string') {
      if (value.includes(nul)) return nulProblem(path);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (level > maxNestingDepth) {
      const message = `must not be nested more than ${maxNestingDepth} levels deep`;
      return { detail: `Values must not be nested more than ${maxNestingDepth} levels deep.`, path: path || '/', message };
    }
    const entries = Object.entries(value);
    // Pushed in reverse so that the first entry is visited first.
    for (let index = entries.length - 1; index >= 0; index--) {
      const [itemKey, item] = entries[index]!;
      stack.push({ value: item, path: `${path}/${pointerToken(itemKey)}`, key: itemKey, level: level + 1 });
    }
  }
  return null;
}
