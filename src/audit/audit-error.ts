/**
 * A problem with the auditor's inputs (usage, spec, identities) or with reaching its target. The CLI
 * turns it into exit status 2 and prints the message as the one-line reason, so messages are kept
 * to one line and name the file and the JSON pointer or key at fault — never a secret's value.
 */
export class AuditInputError extends Error {
  override readonly name = 'AuditInputError';

  constructor(message: string, options?: { cause?: unknown }) {
    // Newlines from wrapped library errors would break the one-line contract of exit status 2.
    super(message.replace(/\s*[\r\n]+\s*/g, ' ').trim(), options);
  }
}
