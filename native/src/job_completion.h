// How a background job over a mapping ends: the failure its scanning threads recorded, the
// promise settled from the JavaScript thread (safely, even while the environment is torn down),
// and the { promise, cancel } handle JavaScript holds. Every job derives from PromiseJob.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <string>

#include "mapping.h"

namespace gigapad {

enum class JobFailure { kNone, kTruncated, kCancelled, kIo };

// What went wrong in a job, recorded from any scanning thread; the first failure stays.
class JobOutcome {
 public:
  void Fail(JobFailure failure, int io_error = 0);
  // Records a scan's read status (kReadOk records nothing); returns whether it was kReadOk.
  bool RecordReadStatus(int status);
  bool Failed() const { return failure_.load() != JobFailure::kNone; }
  // The error the failure stands for: ETRUNCATED, the pread errno, or an AbortError.
  Napi::Error Error(Napi::Env env, const std::string& path) const;

 private:
  std::atomic<JobFailure> failure_{JobFailure::kNone};
  std::atomic<int> io_error_{0};
};

// Settles a job's promise from OnOK / OnError / OnProgress, which also run while a worker
// thread's environment is being torn down (worker.terminate() during a scan): JavaScript can no
// longer run there, so every N-API call fails and node-addon-api throws. An exception escaping
// these callbacks would end the whole process (std::terminate), so a failure is turned into a
// rejection when the environment still runs JavaScript, and dropped when it does not (nobody is
// left to hear of it).
template <typename Settle>
void SettleSafely(Napi::Promise::Deferred& deferred, Settle&& settle) noexcept {
  try {
    settle();
  } catch (const Napi::Error& error) {
    try {
      deferred.Reject(error.Value());
    } catch (...) {
    }
  } catch (...) {
  }
}

// Wraps a started job's promise and a cancel function into { promise, cancel }.
Napi::Object JobHandle(Napi::Env env, Napi::Promise promise, std::shared_ptr<std::atomic<bool>> cancelled);

// A background job over a mapping whose end settles a promise: rejected with the outcome's error
// if the scan failed or was stopped, resolved with Result() otherwise. Worker is Napi::AsyncWorker
// or Napi::AsyncProgressWorker<T>; the job's Execute does the scan.
template <typename Worker>
class PromiseJob : public Worker {
 public:
  PromiseJob(Napi::Env env, const char* name, std::shared_ptr<Mapping> mapping,
             std::shared_ptr<std::atomic<bool>> closing)
      : Worker(env, name),
        mapping_(std::move(mapping)),
        deferred_(Napi::Promise::Deferred::New(env)),
        cancelled_(std::make_shared<std::atomic<bool>>(false)),
        closing_(std::move(closing)) {}

  // Queues the job; returns { promise, cancel } for JavaScript. The job deletes itself when done.
  Napi::Value Start(Napi::Env env) {
    Napi::Object handle = JobHandle(env, deferred_.Promise(), cancelled_);
    this->Queue();
    return handle;
  }

  void OnOK() override {
    SettleSafely(deferred_, [&] {
      Napi::Env env = this->Env();
      Napi::HandleScope scope(env);
      if (outcome_.Failed()) {
        deferred_.Reject(outcome_.Error(env, mapping_->path).Value());
        return;
      }
      deferred_.Resolve(Result(env));
    });
  }

  void OnError(const Napi::Error& error) override {
    SettleSafely(deferred_, [&] { deferred_.Reject(error.Value()); });
  }

 protected:
  // The value the promise resolves to (on the JavaScript thread, in a handle scope).
  virtual Napi::Value Result(Napi::Env env) = 0;

  // For a scanning thread before each batch: whether the job was cancelled or its file closed;
  // if so, records the cancellation.
  bool ShouldStop() {
    if (!cancelled_->load() && !closing_->load()) return false;
    outcome_.Fail(JobFailure::kCancelled);
    return true;
  }

  std::shared_ptr<Mapping> mapping_;
  JobOutcome outcome_;

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  std::shared_ptr<std::atomic<bool>> closing_;
};

}  // namespace gigapad
