// SIGBUS guard: every read or write of mapped memory runs inside guarded().
//
// When another program truncates a file we have mapped, touching a page past the new end raises
// SIGBUS. Without a guard that kills the process (and with it every unsaved edit). With it, the
// faulting thread jumps back to the sigsetjmp in guarded(), which returns false, and the caller
// throws "file was truncated on disk".
//
// Invariant: the body of guarded() must not own anything with a destructor or take a lock — a
// siglongjmp out of it skips destructors. Bodies are plain loops over raw memory.
#pragma once

#include <csetjmp>
#include <csignal>

namespace gigapad {

struct GuardFrame {
  sigjmp_buf jump;
  volatile sig_atomic_t active;
};

// The innermost guard frame of this thread, or nullptr. Read by the signal handler.
GuardFrame*& CurrentGuardFrame();

// Installs the process-wide SIGBUS handler once. Faults outside a guarded region are passed on
// to the handler that was installed before ours (Electron's crash reporter has one).
void InstallSigbusHandler();

// Runs body() and returns true, or returns false if body() faulted with SIGBUS.
template <typename Body>
bool guarded(Body&& body) {
  GuardFrame frame;
  GuardFrame*& current = CurrentGuardFrame();
  GuardFrame* outer = current;
  frame.active = 0;
  current = &frame;
  // savemask = 0: no sigprocmask system call per guarded region (a read is a few µs; the
  // syscall would be a large part of it). The handler is installed with SA_NODEFER, so SIGBUS is
  // not blocked while it runs and the jump out leaves the signal mask as it was.
  if (sigsetjmp(frame.jump, 0) == 0) {
    frame.active = 1;
    body();
    frame.active = 0;
    current = outer;
    return true;
  }
  current = outer;
  return false;
}

constexpr const char* kTruncatedMessage = "file was truncated on disk";

}  // namespace gigapad
