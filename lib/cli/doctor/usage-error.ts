/**
 * The command line cannot be run as given: an unknown flag, a missing setting, an unreadable file,
 * options the library refuses. Exit code 2. Its text never holds a token or a file's contents.
 */
export class UsageError extends Error {
  constructor(
    message: string,
    /** One line per problem (e.g. the library's `GatewayAuthConfigError.issues`). */
    readonly issues: readonly string[] = [],
  ) {
    super(message);
    this.name = 'UsageError';
  }
}
