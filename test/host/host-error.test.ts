/** What a UI is told of an error (host/host-error.ts): a stable code and a sentence. */
import { describe, expect, it } from "vitest";
import { HostError, toProtocolError } from "../../host/host-error.js";

describe("toProtocolError", () => {
  it("keeps the code of the host's refusals and of system errors", () => {
    expect(toProtocolError(new HostError("ESTALE", "changed meanwhile"))).toEqual({
      code: "ESTALE",
      message: "changed meanwhile",
    });
    const system = Object.assign(new Error("ENOENT: no such file"), { code: "ENOENT" });
    expect(toProtocolError(system)).toEqual({ code: "ENOENT", message: "ENOENT: no such file" });
  });

  it("calls every cancellation EABORTED, Node's ABORT_ERR included", () => {
    const controller = new AbortController();
    controller.abort();
    expect(toProtocolError(controller.signal.reason).code).toBe("EABORTED");
    const nodeAbort = Object.assign(new Error("The operation was aborted"), {
      name: "AbortError",
      code: "ABORT_ERR",
    });
    expect(toProtocolError(nodeAbort)).toEqual({ code: "EABORTED", message: "The operation was aborted" });
  });

  it("names ranges, bad patterns and searches that took too long", () => {
    expect(toProtocolError(new RangeError("Invalid offset 9")).code).toBe("ERANGE");
    expect(toProtocolError(new SyntaxError("Invalid regular expression")).code).toBe("EBADPATTERN");
    const timeout = toProtocolError(new DOMException("the search took too long", "TimeoutError"));
    expect(timeout.code).toBe("ETIMEDOUT");
    expect(timeout.message).toMatch(/took too long.*stopped/);
  });

  it("calls anything else EINTERNAL, with its message or its text", () => {
    expect(toProtocolError(new Error("surprise"))).toEqual({ code: "EINTERNAL", message: "surprise" });
    expect(toProtocolError("a string")).toEqual({ code: "EINTERNAL", message: "a string" });
    expect(toProtocolError(null)).toEqual({ code: "EINTERNAL", message: "null" });
  });
});
