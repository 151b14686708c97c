#include "mapped_region.h"

#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#elif defined(__APPLE__)
#include <pthread.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>
#include <system_error>
#include <thread>

#include "byte_scan.h"
#include "durable_io.h"
#include "errors.h"
#include "sigbus_guard.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

namespace gigapad {

namespace {

// Background scans hand out work in batches of this many bytes: large enough that thread
// hand-off and madvise calls are noise, small enough that two threads stay balanced and that
// released pages keep resident memory flat.
constexpr uint64_t kScanBatchBytes = 4ull << 20;
// How often (at most) a background job reports progress.
constexpr auto kProgressInterval = std::chrono::milliseconds(50);

uint64_t PageSize() {
  static const uint64_t size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return size;
}

// Applies madvise to the whole pages inside [start, end) (or around them, for `outward`).
void AdviseRange(const Mapping& mapping, uint64_t start, uint64_t end, int advice, bool outward) {
  if (mapping.base == nullptr || start >= end) return;
  uint64_t page = PageSize();
  uint64_t first = outward ? start / page * page : (start + page - 1) / page * page;
  uint64_t last = outward ? std::min(mapping.size, (end + page - 1) / page * page) : end / page * page;
  if (first >= last) return;
  madvise(mapping.base + first, last - first, advice);
}

// Greedy leftmost non-overlapping matches of needle among candidate starts [from, to), reading
// at most up to scan_end. Appends to out; stops at limit. Returns false on SIGBUS.
bool FindMatches(const Mapping& mapping, const std::vector<uint8_t>& needle, uint64_t from, uint64_t to,
                 uint64_t scan_end, uint64_t limit, std::vector<uint64_t>& out) {
  const uint8_t* base = mapping.base;
  const uint64_t length = needle.size();
  return guarded([&] {
    uint64_t position = from;
    while (position < to && out.size() < limit && position + length <= scan_end) {
      size_t hit = FindLiteral(base + position, scan_end - position, needle.data(), length);
      if (hit == kNotFound || position + hit >= to) break;
      out.push_back(position + hit);
      position += hit + length;
    }
  });
}

// Background work (the line index of a file being opened) yields the CPU to the editor's own
// threads and the user's other programs, which matter more while a file opens; on an idle machine
// it still gets every core.
enum class ScanPriority { kForeground, kBackground };

// Lowers the calling thread's priority: on Linux its own nice value (threads have their own), on
// macOS the utility QoS class. A thread of our own only: a pool thread could not be raised back.
void LowerThisThreadPriority() {
#if defined(__linux__)
  setpriority(PRIO_PROCESS, static_cast<id_t>(syscall(SYS_gettid)), 10);
#elif defined(__APPLE__)
  pthread_set_qos_class_self_np(QOS_CLASS_UTILITY, 0);
#endif
}

// Runs work(batch) for batches [0, count) on ScanThreadCount() threads: the caller's and helpers
// (foreground), or only new threads of lowered priority while the caller waits (background).
// work returns false to stop everyone. Returns false if any call did.
template <typename Work>
bool RunBatches(uint64_t count, Work&& work, ScanPriority priority = ScanPriority::kForeground) {
  std::atomic<uint64_t> next{0};
  std::atomic<bool> stop{false};
  auto loop = [&] {
    for (;;) {
      if (stop.load(std::memory_order_relaxed)) return;
      uint64_t batch = next.fetch_add(1, std::memory_order_relaxed);
      if (batch >= count) return;
      if (!work(batch)) stop.store(true);
    }
  };
  unsigned workers = static_cast<unsigned>(std::min<uint64_t>(ScanThreadCount(), count));
  std::vector<std::thread> threads;
  // A thread that cannot be created (resource limits) leaves its share to the others; with none
  // at all, the caller does the work.
  auto spawn = [&](auto body) {
    try {
      threads.emplace_back(body);
    } catch (const std::system_error&) {
    }
  };
  if (priority == ScanPriority::kBackground) {
    for (unsigned i = 0; i < workers; ++i) {
      spawn([&] {
        LowerThisThreadPriority();
        loop();
      });
    }
    if (threads.empty()) loop();
  } else {
    for (unsigned i = 1; i < workers; ++i) spawn(loop);
    loop();
  }
  for (auto& thread : threads) thread.join();
  return !stop.load();
}

enum class JobFailure { kNone, kTruncated, kCancelled };

Napi::Error JobError(Napi::Env env, JobFailure failure, const std::string& path) {
  if (failure == JobFailure::kTruncated) return TruncatedError(env, path);
  Napi::Error error = Napi::Error::New(env, "the operation was cancelled");
  error.Set("code", Napi::String::New(env, "ABORT_ERR"));
  error.Set("name", Napi::String::New(env, "AbortError"));
  return error;
}

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
Napi::Object JobHandle(Napi::Env env, Napi::Promise promise, std::shared_ptr<std::atomic<bool>> cancelled) {
  Napi::Object handle = Napi::Object::New(env);
  handle.Set("promise", promise);
  handle.Set("cancel", Napi::Function::New(env, [cancelled](const Napi::CallbackInfo&) {
               cancelled->store(true);
             }, "cancel"));
  return handle;
}

class ChunkIndexJob : public Napi::AsyncProgressWorker<double> {
 public:
  ChunkIndexJob(Napi::Env env, std::shared_ptr<Mapping> mapping, uint64_t chunk_size,
                Napi::Function on_progress, std::shared_ptr<std::atomic<bool>> cancelled,
                std::shared_ptr<std::atomic<bool>> closing)
      : Napi::AsyncProgressWorker<double>(env, "gigapad.chunkIndex"),
        deferred_(Napi::Promise::Deferred::New(env)),
        mapping_(std::move(mapping)),
        chunk_size_(chunk_size),
        cancelled_(std::move(cancelled)),
        closing_(std::move(closing)) {
    if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
    counts_.resize((mapping_->size + chunk_size_ - 1) / chunk_size_);
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute(const ExecutionProgress& progress) override {
    const Mapping& mapping = *mapping_;
    const uint64_t chunks_per_batch = std::max<uint64_t>(1, kScanBatchBytes / chunk_size_);
    const uint64_t batches = (counts_.size() + chunks_per_batch - 1) / chunks_per_batch;
    std::atomic<uint64_t> bytes_done{0};
    // Whichever worker finds the interval over reports (one at a time).
    std::mutex reporting;
    auto last_report = std::chrono::steady_clock::now();
    bool ok = RunBatches(batches, [&](uint64_t batch) {
      if (cancelled_->load() || closing_->load()) {
        failure_ = JobFailure::kCancelled;
        return false;
      }
      uint64_t first_chunk = batch * chunks_per_batch;
      uint64_t end_chunk = std::min<uint64_t>(counts_.size(), first_chunk + chunks_per_batch);
      uint64_t start = first_chunk * chunk_size_;
      uint64_t end = std::min(mapping.size, end_chunk * chunk_size_);
      // Fault the batch in with one call instead of one page fault per 16 pages.
      AdviseRange(mapping, start, end, MADV_POPULATE_READ, true);
      uint32_t* counts = counts_.data();
      uint64_t crlf = 0;
      bool read_ok = guarded([&] {
        for (uint64_t chunk = first_chunk; chunk < end_chunk; ++chunk) {
          uint64_t chunk_start = chunk * chunk_size_;
          uint64_t chunk_end = std::min(mapping.size, chunk_start + chunk_size_);
          const uint8_t* data = mapping.base + chunk_start;
          counts[chunk] = static_cast<uint32_t>(CountNewlines(data, chunk_end - chunk_start));
          // CRLF pairs only matter where there are newlines at all.
          if (counts[chunk] != 0) {
            crlf += CountCrlfPairs(data, chunk_end - chunk_start, chunk_start == 0 ? 0 : data[-1]);
          }
        }
      });
      crlf_pairs_.fetch_add(crlf);
      // Scanned pages leave our resident set (they stay in the page cache), so a file larger
      // than RAM indexes with flat memory.
      AdviseRange(mapping, start, end, MADV_DONTNEED, false);
      if (!read_ok) {
        failure_ = JobFailure::kTruncated;
        return false;
      }
      uint64_t done = bytes_done.fetch_add(end - start) + (end - start);
      if (reporting.try_lock()) {
        auto now = std::chrono::steady_clock::now();
        if (now - last_report >= kProgressInterval) {
          last_report = now;
          double value = static_cast<double>(done);
          progress.Send(&value, 1);
        }
        reporting.unlock();
      }
      return true;
    }, ScanPriority::kBackground);
    if (!ok && failure_ == JobFailure::kNone) failure_ = JobFailure::kCancelled;
  }

  void OnProgress(const double* data, size_t count) override {
    if (count == 0 || on_progress_.IsEmpty()) return;
    // A progress callback that throws, or an environment going away, must not end the process.
    try {
      Napi::Env env = Env();
      Napi::HandleScope scope(env);
      on_progress_.Call(
          {Napi::Number::New(env, data[0]), Napi::Number::New(env, static_cast<double>(mapping_->size))});
    } catch (...) {
    }
  }

  void OnOK() override {
    SettleSafely(deferred_, [&] {
      Napi::Env env = Env();
      Napi::HandleScope scope(env);
      if (failure_ != JobFailure::kNone) {
        deferred_.Reject(JobError(env, failure_, mapping_->path).Value());
        return;
      }
      Napi::Uint32Array line_feeds = Napi::Uint32Array::New(env, counts_.size());
      if (!counts_.empty()) std::memcpy(line_feeds.Data(), counts_.data(), counts_.size() * sizeof(uint32_t));
      Napi::Object result = Napi::Object::New(env);
      result.Set("lineFeeds", line_feeds);
      result.Set("crlfPairs", Napi::Number::New(env, static_cast<double>(crlf_pairs_.load())));
      deferred_.Resolve(result);
    });
  }

  void OnError(const Napi::Error& error) override {
    SettleSafely(deferred_, [&] { deferred_.Reject(error.Value()); });
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Mapping> mapping_;
  uint64_t chunk_size_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  std::shared_ptr<std::atomic<bool>> closing_;
  Napi::FunctionReference on_progress_;
  std::vector<uint32_t> counts_;
  std::atomic<uint64_t> crlf_pairs_{0};
  std::atomic<JobFailure> failure_{JobFailure::kNone};
};

class FindJob : public Napi::AsyncWorker {
 public:
  FindJob(Napi::Env env, std::shared_ptr<Mapping> mapping, std::vector<uint8_t> needle, uint64_t start,
          uint64_t end, uint64_t limit, std::shared_ptr<std::atomic<bool>> cancelled,
          std::shared_ptr<std::atomic<bool>> closing)
      : Napi::AsyncWorker(env, "gigapad.find"),
        deferred_(Napi::Promise::Deferred::New(env)),
        mapping_(std::move(mapping)),
        needle_(std::move(needle)),
        start_(start),
        end_(end),
        limit_(limit),
        cancelled_(std::move(cancelled)),
        closing_(std::move(closing)) {}

  Napi::Promise Promise() { return deferred_.Promise(); }

  void Execute() override {
    const Mapping& mapping = *mapping_;
    const uint64_t span = end_ - start_;
    const uint64_t batches = span == 0 ? 0 : (span + kScanBatchBytes - 1) / kScanBatchBytes;
    const uint64_t overlap = needle_.size() - 1;
    std::vector<std::vector<uint64_t>> found(batches);
    bool ok = RunBatches(batches, [&](uint64_t batch) {
      if (cancelled_->load() || closing_->load()) {
        failure_ = JobFailure::kCancelled;
        return false;
      }
      uint64_t from = start_ + batch * kScanBatchBytes;
      uint64_t to = std::min(end_, from + kScanBatchBytes);
      // A match starting in this batch may end up to needle length - 1 bytes past it.
      uint64_t scan_end = std::min(end_, to + overlap);
      AdviseRange(mapping, from, scan_end, MADV_POPULATE_READ, true);
      bool read_ok = FindMatches(mapping, needle_, from, to, scan_end, limit_, found[batch]);
      AdviseRange(mapping, from, to, MADV_DONTNEED, false);
      if (!read_ok) {
        failure_ = JobFailure::kTruncated;
        return false;
      }
      return true;
    });
    if (!ok) {
      if (failure_ == JobFailure::kNone) failure_ = JobFailure::kCancelled;
      return;
    }
    // Merge in order. A batch scanned greedily from its own first byte can disagree with the
    // global leftmost-greedy answer only if its first match overlaps the previous batch's last
    // one (a self-overlapping needle); then that batch is rescanned from the previous match end.
    uint64_t previous_end = start_;
    for (uint64_t batch = 0; batch < batches && results_.size() < limit_; ++batch) {
      std::vector<uint64_t>& matches = found[batch];
      if (!matches.empty() && matches.front() < previous_end) {
        uint64_t to = std::min(end_, start_ + (batch + 1) * kScanBatchBytes);
        matches.clear();
        if (!FindMatches(mapping, needle_, previous_end, to, std::min(end_, to + overlap), limit_, matches)) {
          failure_ = JobFailure::kTruncated;
          return;
        }
      }
      for (uint64_t match : matches) {
        if (results_.size() >= limit_) break;
        results_.push_back(match);
        previous_end = match + needle_.size();
      }
    }
  }

  void OnOK() override {
    SettleSafely(deferred_, [&] {
      Napi::Env env = Env();
      Napi::HandleScope scope(env);
      if (failure_ != JobFailure::kNone) {
        deferred_.Reject(JobError(env, failure_, mapping_->path).Value());
        return;
      }
      Napi::Float64Array result = Napi::Float64Array::New(env, results_.size());
      for (size_t i = 0; i < results_.size(); ++i) result[i] = static_cast<double>(results_[i]);
      deferred_.Resolve(result);
    });
  }

  void OnError(const Napi::Error& error) override {
    SettleSafely(deferred_, [&] { deferred_.Reject(error.Value()); });
  }

 private:
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Mapping> mapping_;
  std::vector<uint8_t> needle_;
  uint64_t start_, end_, limit_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  std::shared_ptr<std::atomic<bool>> closing_;
  std::vector<uint64_t> results_;
  std::atomic<JobFailure> failure_{JobFailure::kNone};
};

}  // namespace

Mapping::~Mapping() {
  if (owns_mapping && base != nullptr) munmap(base, size);
  if (fd >= 0) close(fd);
}

unsigned ScanThreadCount() {
  unsigned cores = std::thread::hardware_concurrency();
  if (cores == 0) cores = 1;
  return std::min(cores, 8u);
}

void CheckRange(Napi::Env env, uint64_t start, uint64_t end, uint64_t size) {
  if (start > end || end > size) {
    throw Napi::RangeError::New(env, "Invalid range " + std::to_string(start) + ".." + std::to_string(end) +
                                         " in a buffer of length " + std::to_string(size));
  }
}

Napi::Value CopyOut(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end) {
  CheckRange(env, start, end, mapping.size);
  Napi::Buffer<uint8_t> buffer = Napi::Buffer<uint8_t>::New(env, end - start);
  if (end > start) {
    uint8_t* target = buffer.Data();
    const uint8_t* source = mapping.base + start;
    uint64_t length = end - start;
    if (!guarded([&] { std::memcpy(target, source, length); })) {
      throw TruncatedError(env, mapping.path);
    }
  }
  return buffer;
}

void CopyInto(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end, const Napi::Value& target,
              uint64_t target_offset) {
  CheckRange(env, start, end, mapping.size);
  if (!target.IsTypedArray() || target.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "target must be a Buffer or Uint8Array");
  }
  Napi::Uint8Array bytes = target.As<Napi::Uint8Array>();
  uint64_t length = end - start;
  if (target_offset > bytes.ElementLength() || length > bytes.ElementLength() - target_offset) {
    throw Napi::RangeError::New(env, std::to_string(length) + " bytes do not fit at offset " +
                                         std::to_string(target_offset) + " of a target of " +
                                         std::to_string(bytes.ElementLength()) + " bytes");
  }
  if (length == 0) return;
  uint8_t* destination = bytes.Data() + target_offset;
  const uint8_t* source = mapping.base + start;
  if (!guarded([&] { std::memcpy(destination, source, length); })) throw TruncatedError(env, mapping.path);
}

Napi::Value CopyRangeTo(const Napi::CallbackInfo& info, int source_fd, uint64_t size, const std::string& path) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "fd must be a number");
  int out = info[0].As<Napi::Number>().Int32Value();
  uint64_t out_offset = ReadOffset(info[1], "outOffset");
  uint64_t start = ReadOffset(info[2], "start");
  uint64_t end = ReadOffset(info[3], "end");
  CheckRange(env, start, end, size);
  int64_t copied = CopyFileRange(source_fd, start, out, out_offset, end - start);
  if (copied < 0) throw ErrnoError(env, static_cast<int>(-copied), "copy_file_range", "cannot copy from", path);
  if (static_cast<uint64_t>(copied) != end - start) throw TruncatedError(env, path);
  return Napi::Number::New(env, static_cast<double>(copied));
}

uint64_t CountNewlinesIn(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end) {
  CheckRange(env, start, end, mapping.size);
  uint64_t count = 0;
  if (end > start && !guarded([&] { count = CountNewlines(mapping.base + start, end - start); })) {
    throw TruncatedError(env, mapping.path);
  }
  return count;
}

double NthNewlineIn(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end, uint64_t n) {
  CheckRange(env, start, end, mapping.size);
  size_t hit = kNotFound;
  if (end > start && !guarded([&] { hit = FindNthNewline(mapping.base + start, end - start, n); })) {
    throw TruncatedError(env, mapping.path);
  }
  return hit == kNotFound ? -1.0 : static_cast<double>(start + hit);
}

std::vector<uint64_t> FindAllIn(Napi::Env env, const Mapping& mapping, const std::vector<uint8_t>& needle,
                                uint64_t start, uint64_t end, uint64_t limit) {
  CheckRange(env, start, end, mapping.size);
  std::vector<uint64_t> matches;
  if (!FindMatches(mapping, needle, start, end, end, limit, matches)) throw TruncatedError(env, mapping.path);
  return matches;
}

void Advise(Napi::Env env, const Mapping& mapping, const std::string& mode, uint64_t start, uint64_t end) {
  CheckRange(env, start, end, mapping.size);
  int advice;
  if (mode == "sequential") advice = MADV_SEQUENTIAL;
  else if (mode == "random") advice = MADV_RANDOM;
  else if (mode == "normal") advice = MADV_NORMAL;
  else if (mode == "willneed") advice = MADV_WILLNEED;
  else if (mode == "dontneed") advice = MADV_DONTNEED;
  else throw Napi::TypeError::New(env, "unknown advice '" + mode + "' (sequential, random, normal, willneed, dontneed)");
  AdviseRange(mapping, start, end, advice, advice != MADV_DONTNEED);
}

Napi::Value StartChunkIndexJob(Napi::Env env, std::shared_ptr<Mapping> mapping, uint64_t chunk_size,
                               Napi::Function on_progress, std::shared_ptr<std::atomic<bool>> closing) {
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  auto* job = new ChunkIndexJob(env, std::move(mapping), chunk_size, on_progress, cancelled, std::move(closing));
  Napi::Promise promise = job->Promise();
  job->Queue();
  return JobHandle(env, promise, cancelled);
}

Napi::Value StartFindJob(Napi::Env env, std::shared_ptr<Mapping> mapping, std::vector<uint8_t> needle,
                         uint64_t start, uint64_t end, uint64_t limit, std::shared_ptr<std::atomic<bool>> closing) {
  CheckRange(env, start, end, mapping->size);
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  auto* job = new FindJob(env, std::move(mapping), std::move(needle), start, end, limit, cancelled, std::move(closing));
  Napi::Promise promise = job->Promise();
  job->Queue();
  return JobHandle(env, promise, cancelled);
}

}  // namespace gigapad
