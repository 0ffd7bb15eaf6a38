/** A mistake on the command line: exit 2 with the usage, before anything is touched. */
export class UsageError extends Error {}
