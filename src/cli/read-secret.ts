import { createInterface } from 'node:readline';

/**
 * Reads a secret from standard input: the whole of piped input (one trailing newline dropped), or
 * one line typed at a terminal with echo suppressed. Secrets are never taken as command-line
 * arguments, where they would land in shell history and the process list.
 */
export async function readSecret(prompt: string): Promise<string> {
  const input = process.stdin;
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
  }
  process.stderr.write(prompt);
  const rl = createInterface({ input, output: process.stderr, terminal: true });
  const mutable = rl as unknown as { _writeToOutput: (s: string) => void };
  mutable._writeToOutput = () => {};
  const line = await new Promise<string>((resolve) => rl.question('', resolve));
  rl.close();
  process.stderr.write('\n');
  return line;
}
