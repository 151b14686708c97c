/** A failure the command reports in one line, with the exit code to end with (1 failed, 2 misused). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}

/** A misused option value (`--port http`): one line that points to the command's help, exit 2. */
export function badUsage(command: string, message: string): CliError {
  return new CliError(`${message}; see 'gigapad ${command} --help'`, 2);
}

/** The C library's wording (strerror) where Node's libuv words differ; others are Node's, capitalised. */
const STRERROR: Record<string, string> = {
  EISDIR: "Is a directory",
  EEXIST: "File exists",
  ENOTEMPTY: "Directory not empty",
  EMFILE: "Too many open files",
  EXDEV: "Invalid cross-device link",
};

/** What the command failed to do to `path`, by the system call that failed. */
const VERB: Record<string, string> = {
  open: "open",
  stat: "open",
  lstat: "open",
  access: "open",
  realpath: "open",
  copyfile: "copy",
  mkdir: "create",
  scandir: "read",
  opendir: "read",
  read: "read",
  write: "write",
  rename: "rename",
  unlink: "remove",
  rmdir: "remove",
  rm: "remove",
};

/**
 * One line for any error a command lets through: Node's raw system errors (`ENOENT: no such file
 * or directory, stat '/x'`) as `cannot open /x: No such file or directory`, a file another
 * Gigapad holds in the words of the command line rather than the API's, anything else as it is.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const system = error as NodeJS.ErrnoException & { documentPath?: string; holderPid?: number | null };
  if (system.code === "ESESSIONLOCKED" && typeof system.documentPath === "string") {
    return `${system.documentPath} is open in another Gigapad${system.holderPid ? ` (pid ${system.holderPid})` : ""}; close it there and try again`;
  }
  if (system.code && system.path && error.message.startsWith(`${system.code}: `)) {
    return `cannot ${VERB[system.syscall ?? ""] ?? system.syscall ?? "use"} ${system.path}: ${systemMessage(system)}`;
  }
  return error.message;
}

/** `No such file or directory` for ENOENT, as `ls` or `cat` would say it. */
export function systemMessage(error: NodeJS.ErrnoException): string {
  const code = error.code ?? "";
  const known = STRERROR[code];
  if (known) return known;
  // Node's message is `CODE: description, syscall 'path'`.
  const description = /^[A-Z0-9_]+: ([^,]*)/.exec(error.message)?.[1];
  if (!description) return error.message;
  return description.charAt(0).toUpperCase() + description.slice(1);
}
