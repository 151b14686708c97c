#include "sigbus_guard.h"

#include <cstring>
#include <mutex>

namespace gigapad {

namespace {

struct sigaction previous_sigbus_action;

void OnSigbus(int signal_number, siginfo_t* info, void* context) {
  GuardFrame* frame = CurrentGuardFrame();
  if (frame != nullptr && frame->active) {
    frame->active = 0;
    siglongjmp(frame->jump, 1);
  }
  // Not ours: hand the fault to whoever handled SIGBUS before us.
  if (previous_sigbus_action.sa_flags & SA_SIGINFO) {
    if (previous_sigbus_action.sa_sigaction != nullptr) {
      previous_sigbus_action.sa_sigaction(signal_number, info, context);
      return;
    }
  } else if (previous_sigbus_action.sa_handler != SIG_DFL &&
             previous_sigbus_action.sa_handler != SIG_IGN) {
    previous_sigbus_action.sa_handler(signal_number);
    return;
  }
  // Default disposition: restore it and return; the faulting instruction runs again and the
  // process dies the ordinary way (with a core dump if enabled).
  sigaction(SIGBUS, &previous_sigbus_action, nullptr);
}

}  // namespace

GuardFrame*& CurrentGuardFrame() {
  // initial-exec so that reading it from the signal handler never allocates.
  static thread_local GuardFrame* frame __attribute__((tls_model("initial-exec"))) = nullptr;
  return frame;
}

void InstallSigbusHandler() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action;
    std::memset(&action, 0, sizeof action);
    action.sa_sigaction = OnSigbus;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigaction(SIGBUS, &action, &previous_sigbus_action);
  });
}

}  // namespace gigapad
