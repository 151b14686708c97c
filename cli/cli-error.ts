/** A failure the command reports in one line, with the exit code to end with (1 failed, 2 misused). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
