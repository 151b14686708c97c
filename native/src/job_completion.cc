#include "job_completion.h"

#include "errors.h"
#include "range_scans.h"

namespace gigapad {

void JobOutcome::Fail(JobFailure failure, int io_error) {
  JobFailure expected = JobFailure::kNone;
  if (failure_.compare_exchange_strong(expected, failure)) io_error_ = io_error;
}

bool JobOutcome::RecordReadStatus(int status) {
  if (status == kReadOk) return true;
  if (status == kShortRead) Fail(JobFailure::kTruncated);
  else Fail(JobFailure::kIo, status);
  return false;
}

Napi::Error JobOutcome::Error(Napi::Env env, const std::string& path) const {
  const JobFailure failure = failure_.load();
  if (failure == JobFailure::kTruncated) return TruncatedError(env, path);
  if (failure == JobFailure::kIo) return ErrnoError(env, io_error_.load(), "pread", "cannot read", path);
  Napi::Error error = Napi::Error::New(env, "the operation was cancelled");
  error.Set("code", Napi::String::New(env, "ABORT_ERR"));
  error.Set("name", Napi::String::New(env, "AbortError"));
  return error;
}

Napi::Object JobHandle(Napi::Env env, Napi::Promise promise, std::shared_ptr<std::atomic<bool>> cancelled) {
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", promise);
  handle.Set("cancel", Napi::Function::New(env, [cancelled](const Napi::CallbackInfo&) {
               cancelled->store(true);
             }, "cancel"));
  return handle;
}

}  // namespace gigapad
