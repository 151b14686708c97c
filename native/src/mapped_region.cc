#include "mapped_region.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>
#if defined(__linux__)
#include <sys/syscall.h>
#elif defined(__APPLE__)
#include <pthread.h>
#endif

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
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

// Background scans hand out work in batches of this many bytes (by default): large enough that
// thread hand-off and madvise calls are noise, small enough that two threads stay balanced and
// that released pages keep resident memory flat.
constexpr uint64_t kScanBatchBytes = 4ull << 20;
// Bytes each thread preads at once (by default). Measured on the 2-core VM (1 GiB log, warm
// cache, LF count on 2 threads in a fresh process): 256 KiB 73 ms, 1 MiB 57-65 ms, 4 MiB
// 62-68 ms. A buffer near the L2 size keeps the copy and the count in cache.
constexpr uint64_t kScanBufferBytes = 1ull << 20;
// Synchronous LF counts over at least this many bytes run on all cores (and literal searches
// read with pread, when that is the strategy); shorter ones read the mapping on the calling thread.
constexpr uint64_t kBulkScanBytes = 4ull << 20;
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

struct AtomicScanSettings {
  std::atomic<ScanStrategy> strategy;
  std::atomic<uint64_t> buffer_bytes{kScanBufferBytes};
  std::atomic<uint64_t> batch_bytes{kScanBatchBytes};
  AtomicScanSettings() {
    const char* chosen = std::getenv("GIGAPAD_SCAN");
    strategy = chosen == nullptr                     ? ScanStrategy::kAuto
               : std::strcmp(chosen, "mmap") == 0  ? ScanStrategy::kMmap
               : std::strcmp(chosen, "pread") == 0 ? ScanStrategy::kPread
                                                   : ScanStrategy::kAuto;
  }
};

AtomicScanSettings& Settings() {
  static AtomicScanSettings settings;
  return settings;
}

// Whether a bulk scan of mapping reads with pread (a MappedFile has its fd; the add buffer's
// view has none and always reads its mapping).
bool UsePread(const Mapping& mapping) {
  return mapping.fd >= 0 && Settings().strategy.load() != ScanStrategy::kMmap;
}

// Whether [start, start + length) looks wholly in the page cache: 8 pages spread over it are.
bool LooksCached(const Mapping& mapping, uint64_t start, uint64_t length) {
  if (mapping.base == nullptr) return false;
  const uint64_t page = PageSize();
  for (uint64_t i = 0; i < 8; ++i) {
    uint64_t at = (start + length / 8 * i) / page * page;
    if (at >= mapping.size) break;
#if defined(__APPLE__)
    char resident = 0;
#else
    unsigned char resident = 0;
#endif
    if (mincore(mapping.base + at, page, &resident) != 0 || (resident & 1) == 0) return false;
  }
  return true;
}

// For a job that may use pread (UsePread): whether this batch does. With the auto strategy, a
// batch in the page cache is read through the mapping (cheaper there: no copy), one that is not
// with pread (read-ahead; the mapping is MADV_RANDOM and would fault it in a page at a time).
bool BatchWantsPread(const Mapping& mapping, uint64_t start, uint64_t length) {
  return Settings().strategy.load() == ScanStrategy::kPread || !LooksCached(mapping, start, length);
}

// Read buffers outlive the scans that use them: scanning threads are created per job, and a
// fresh 1 MiB buffer would cost 256 page faults (~17 us each on a VM) every time. At most
// kKeptBuffers of the current size are kept, prefaulted (MAP_POPULATE), for the next scan.
class BufferPool {
 public:
  static BufferPool& Instance() {
    static BufferPool* pool = new BufferPool();  // never destroyed: scans may outlive statics
    return *pool;
  }
  uint8_t* Acquire(uint64_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (size_t i = 0; i < kept_.size(); ++i) {
        if (kept_[i].second == size) {
          uint8_t* data = kept_[i].first;
          kept_.erase(kept_.begin() + static_cast<std::ptrdiff_t>(i));
          return data;
        }
      }
    }
    void* data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS
#if defined(MAP_POPULATE)
                                                                  | MAP_POPULATE
#endif
                      , -1, 0);
    return data == MAP_FAILED ? nullptr : static_cast<uint8_t*>(data);
  }
  void Release(uint8_t* data, uint64_t size) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (size == Settings().buffer_bytes.load() && kept_.size() < kKeptBuffers) {
        kept_.emplace_back(data, size);
        return;
      }
    }
    munmap(data, size);
  }

 private:
  static constexpr size_t kKeptBuffers = 9;
  std::mutex mutex_;
  std::vector<std::pair<uint8_t*, uint64_t>> kept_;
};

// One scanning thread's read buffer, taken from the pool on first use and given back at the end.
class ScanBuffer {
 public:
  ScanBuffer() = default;
  ScanBuffer(const ScanBuffer&) = delete;
  ScanBuffer& operator=(const ScanBuffer&) = delete;
  ~ScanBuffer() {
    if (data_ != nullptr) BufferPool::Instance().Release(data_, size_);
  }
  // The buffer, or nullptr if no memory could be had (the caller reports ENOMEM).
  uint8_t* Data() {
    if (data_ == nullptr) {
      size_ = Settings().buffer_bytes.load();
      data_ = BufferPool::Instance().Acquire(size_);
    }
    return data_;
  }
  uint64_t Size() {
    Data();
    return size_;
  }

 private:
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

// What a pread scan of a batch came to: kReadOk, kShortRead (the file ended early: it was
// truncated, as SIGBUS says for the mapping), or an errno.
constexpr int kReadOk = 0;
constexpr int kShortRead = -1;

// Reads exactly [offset, offset + length) of fd into out.
int ReadFully(int fd, uint8_t* out, uint64_t offset, uint64_t length) {
  while (length > 0) {
    ssize_t got = pread(fd, out, static_cast<size_t>(std::min<uint64_t>(length, 1ull << 30)),
                        static_cast<off_t>(offset));
    if (got < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (got == 0) return kShortRead;
    out += got;
    offset += static_cast<uint64_t>(got);
    length -= static_cast<uint64_t>(got);
  }
  return kReadOk;
}

// Counts LFs of chunks [first_chunk, end_chunk) of [0, mapping.size) into counts[chunk] (and
// their CRLF pairs into *crlf, if given), reading with pread through buffer. A CRLF pair split
// across the batch's first byte is counted here (the byte before is read when it matters).
int CountChunksPread(const Mapping& mapping, ScanBuffer& buffer, uint64_t chunk_size, uint64_t first_chunk,
                     uint64_t end_chunk, uint32_t* counts, uint64_t* crlf) {
  uint8_t* data = buffer.Data();
  if (data == nullptr) return ENOMEM;
  const uint64_t capacity = buffer.Size();
  const uint64_t start = first_chunk * chunk_size;
  const uint64_t end = std::min(mapping.size, end_chunk * chunk_size);
  for (uint64_t chunk = first_chunk; chunk < end_chunk; ++chunk) counts[chunk] = 0;
  uint8_t previous = 0;  // the byte before the piece being counted (0 before the file)
  bool previous_known = start == 0;
  for (uint64_t position = start; position < end;) {
    const uint64_t length = std::min(capacity, end - position);
    int status = ReadFully(mapping.fd, data, position, length);
    if (status != kReadOk) return status;
    for (uint64_t at = position; at < position + length;) {
      const uint64_t chunk = at / chunk_size;
      const uint64_t piece_end = std::min(position + length, (chunk + 1) * chunk_size);
      const uint8_t* piece = data + (at - position);
      const uint64_t lf = CountNewlines(piece, piece_end - at);
      counts[chunk] += static_cast<uint32_t>(lf);
      if (crlf != nullptr && lf != 0) {
        uint8_t before = at == position ? previous : piece[-1];
        if (at == position && !previous_known && piece[0] == '\n') {
          status = ReadFully(mapping.fd, &before, at - 1, 1);
          if (status != kReadOk) return status;
        }
        *crlf += CountCrlfPairs(piece, piece_end - at, before);
      }
      at = piece_end;
    }
    previous = data[length - 1];
    previous_known = true;
    position += length;
  }
  return kReadOk;
}

// Counts LFs of chunks [first_chunk, end_chunk) through the mapping. Returns false on SIGBUS.
bool CountChunksMapped(const Mapping& mapping, uint64_t chunk_size, uint64_t first_chunk, uint64_t end_chunk,
                       uint32_t* counts, uint64_t* crlf) {
  return guarded([&] {
    for (uint64_t chunk = first_chunk; chunk < end_chunk; ++chunk) {
      uint64_t chunk_start = chunk * chunk_size;
      uint64_t chunk_end = std::min(mapping.size, chunk_start + chunk_size);
      const uint8_t* data = mapping.base + chunk_start;
      counts[chunk] = static_cast<uint32_t>(CountNewlines(data, chunk_end - chunk_start));
      // CRLF pairs only matter where there are newlines at all.
      if (crlf != nullptr && counts[chunk] != 0) {
        *crlf += CountCrlfPairs(data, chunk_end - chunk_start, chunk_start == 0 ? 0 : data[-1]);
      }
    }
  });
}

// Counts LFs in [start, end) with pread through buffer into *count.
int CountSpanPread(const Mapping& mapping, ScanBuffer& buffer, uint64_t start, uint64_t end, uint64_t* count) {
  uint8_t* data = buffer.Data();
  if (data == nullptr) return ENOMEM;
  const uint64_t capacity = buffer.Size();
  for (uint64_t position = start; position < end;) {
    const uint64_t length = std::min(capacity, end - position);
    int status = ReadFully(mapping.fd, data, position, length);
    if (status != kReadOk) return status;
    *count += CountNewlines(data, length);
    position += length;
  }
  return kReadOk;
}

// Buffers at least this large read from page boundaries (see FindMatchesPread).
constexpr uint64_t kAlignedReadMinBytes = 64 * 1024;

// FindMatches (below) with pread: each read covers needle length - 1 bytes more than the starts
// it settles, so a match across the buffer's edge is found whole; the next read starts where the
// last match ended or at the first unsettled start. Needs a buffer longer than the needle.
int FindMatchesPread(const Mapping& mapping, ScanBuffer& buffer, const std::vector<uint8_t>& needle, uint64_t from,
                     uint64_t to, uint64_t scan_end, uint64_t limit, std::vector<uint64_t>& out) {
  uint8_t* data = buffer.Data();
  if (data == nullptr) return ENOMEM;
  const uint64_t capacity = buffer.Size();
  const uint64_t length = needle.size();
  const uint64_t overlap = length - 1;
  uint64_t position = from;
  while (position < to && out.size() < limit && position + length <= scan_end) {
    // Reads start on a page boundary (with real buffers): a copy whose source and target are
    // misaligned differently runs far slower in the kernel's copy loop on some machines.
    const bool align = capacity >= kAlignedReadMinBytes && capacity > overlap + 4096;
    const uint64_t read_start = align ? position / 4096 * 4096 : position;
    const uint64_t read_end = std::min(scan_end, read_start + capacity);
    int status = ReadFully(mapping.fd, data, read_start, read_end - read_start);
    if (status != kReadOk) return status;
    // Starts before settled_end have their whole match inside this read.
    const uint64_t settled_end = std::min(to, read_end - overlap);
    uint64_t at = position;
    while (out.size() < limit && at + length <= read_end) {
      size_t hit = FindLiteral(data + (at - read_start), read_end - at, needle.data(), length);
      if (hit == kNotFound || at + hit >= settled_end) break;
      out.push_back(at + hit);
      at += hit + length;
    }
    position = std::max(at, settled_end);
  }
  return kReadOk;
}

// Asks the kernel to start reading the batch that comes ScanThreadCount() batches after the one
// at start (the next one this thread is likely to take). The scan threads read interleaved
// batches, which the kernel's read-ahead does not see as one sequential stream: on a file not in
// the page cache, each pread would otherwise wait for its own small reads.
void PrefetchAhead(const Mapping& mapping, uint64_t start, uint64_t length) {
  uint64_t ahead = start + length * ScanThreadCount();
  if (length == 0 || ahead >= mapping.size) return;
  posix_fadvise(mapping.fd, static_cast<off_t>(ahead), static_cast<off_t>(std::min(length, mapping.size - ahead)),
                POSIX_FADV_WILLNEED);
}

// Whether a pread search of needle fits the scan buffers (else the mapping is read): a read
// must settle at least one start past the up to 4095 bytes of alignment and the overlap.
bool PreadFits(const std::vector<uint8_t>& needle) {
  const uint64_t buffer = Settings().buffer_bytes.load();
  const uint64_t alignment = buffer >= kAlignedReadMinBytes ? 4096 : 0;
  return needle.size() * 2 + alignment <= buffer;
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

// Runs work(batch, buffer) for batches [0, count) on ScanThreadCount() threads: the caller's and
// helpers (foreground), or only new threads of lowered priority while the caller waits
// (background). Each thread has its own read buffer (taken on first use). work returns false to
// stop everyone. Returns false if any call did.
//
// Where scans run (issue #17): on threads of their own, created per scan, not on the libuv pool.
// A job is queued on the pool (AsyncWorker) to settle its promise; that one pool thread waits for
// the scan threads (background) or takes one share of the batches itself (foreground: a find, or
// the index for gigapad info), so a scan holds at most one pool thread, whatever its size. Reasons:
// the pool has 4 threads shared with every fs call and DNS lookup of the process, and a scan of a
// big file holds its threads for a second or more — on the pool it would stall the editor's own
// reads and the session's writes; a background scan lowers its threads' priority, which cannot be
// undone on a pool thread; and the scan wants exactly one thread per core, whatever
// UV_THREADPOOL_SIZE is. A thread costs ~20 us to create, nothing next to a scan of megabytes
// (smaller scans run on the calling thread).
template <typename Work>
bool RunBatches(uint64_t count, Work&& work, ScanPriority priority = ScanPriority::kForeground) {
  std::atomic<uint64_t> next{0};
  std::atomic<bool> stop{false};
  auto loop = [&] {
    ScanBuffer buffer;
    for (;;) {
      if (stop.load(std::memory_order_relaxed)) return;
      uint64_t batch = next.fetch_add(1, std::memory_order_relaxed);
      if (batch >= count) return;
      if (!work(batch, buffer)) stop.store(true);
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

enum class JobFailure { kNone, kTruncated, kCancelled, kIo };

Napi::Error JobError(Napi::Env env, JobFailure failure, const std::string& path, int io_error = 0) {
  if (failure == JobFailure::kTruncated) return TruncatedError(env, path);
  if (failure == JobFailure::kIo) return ErrnoError(env, io_error, "pread", "cannot read", path);
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
                std::shared_ptr<std::atomic<bool>> closing, bool foreground)
      : Napi::AsyncProgressWorker<double>(env, "gigapad.chunkIndex"),
        foreground_(foreground),
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
    const bool use_pread = UsePread(mapping);
    if (use_pread) posix_fadvise(mapping.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    const uint64_t chunks_per_batch = std::max<uint64_t>(1, Settings().batch_bytes.load() / chunk_size_);
    const uint64_t batches = (counts_.size() + chunks_per_batch - 1) / chunks_per_batch;
    std::atomic<uint64_t> bytes_done{0};
    // Whichever worker finds the interval over reports (one at a time).
    std::mutex reporting;
    auto last_report = std::chrono::steady_clock::now();
    bool ok = RunBatches(batches, [&](uint64_t batch, ScanBuffer& buffer) {
      if (cancelled_->load() || closing_->load()) {
        failure_ = JobFailure::kCancelled;
        return false;
      }
      uint64_t first_chunk = batch * chunks_per_batch;
      uint64_t end_chunk = std::min<uint64_t>(counts_.size(), first_chunk + chunks_per_batch);
      uint64_t start = first_chunk * chunk_size_;
      uint64_t end = std::min(mapping.size, end_chunk * chunk_size_);
      uint64_t crlf = 0;
      if (use_pread && BatchWantsPread(mapping, start, end - start)) {
        PrefetchAhead(mapping, start, end - start);
        int status = CountChunksPread(mapping, buffer, chunk_size_, first_chunk, end_chunk, counts_.data(), &crlf);
        crlf_pairs_.fetch_add(crlf);
        if (status != kReadOk) {
          io_error_ = status;
          failure_ = status == kShortRead ? JobFailure::kTruncated : JobFailure::kIo;
          return false;
        }
      } else {
        // Fault the batch in with one call instead of one page fault per 16 pages.
        AdviseRange(mapping, start, end, MADV_POPULATE_READ, true);
        bool read_ok = CountChunksMapped(mapping, chunk_size_, first_chunk, end_chunk, counts_.data(), &crlf);
        crlf_pairs_.fetch_add(crlf);
        // Scanned pages leave our resident set (they stay in the page cache), so a file larger
        // than RAM indexes with flat memory.
        AdviseRange(mapping, start, end, MADV_DONTNEED, false);
        if (!read_ok) {
          failure_ = JobFailure::kTruncated;
          return false;
        }
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
    }, foreground_ ? ScanPriority::kForeground : ScanPriority::kBackground);
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
        deferred_.Reject(JobError(env, failure_, mapping_->path, io_error_.load()).Value());
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
  bool foreground_;
  Napi::Promise::Deferred deferred_;
  std::shared_ptr<Mapping> mapping_;
  uint64_t chunk_size_;
  std::shared_ptr<std::atomic<bool>> cancelled_;
  std::shared_ptr<std::atomic<bool>> closing_;
  Napi::FunctionReference on_progress_;
  std::vector<uint32_t> counts_;
  std::atomic<uint64_t> crlf_pairs_{0};
  std::atomic<JobFailure> failure_{JobFailure::kNone};
  std::atomic<int> io_error_{0};
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
    const uint64_t batch_bytes = Settings().batch_bytes.load();
    const uint64_t batches = span == 0 ? 0 : (span + batch_bytes - 1) / batch_bytes;
    const uint64_t overlap = needle_.size() - 1;
    const bool use_pread = UsePread(mapping) && PreadFits(needle_);
    if (use_pread) posix_fadvise(mapping.fd, static_cast<off_t>(start_), static_cast<off_t>(span), POSIX_FADV_SEQUENTIAL);
    std::vector<std::vector<uint64_t>> found(batches);
    bool ok = RunBatches(batches, [&](uint64_t batch, ScanBuffer& buffer) {
      if (cancelled_->load() || closing_->load()) {
        failure_ = JobFailure::kCancelled;
        return false;
      }
      uint64_t from = start_ + batch * batch_bytes;
      uint64_t to = std::min(end_, from + batch_bytes);
      // A match starting in this batch may end up to needle length - 1 bytes past it.
      uint64_t scan_end = std::min(end_, to + overlap);
      if (use_pread && BatchWantsPread(mapping, from, to - from)) {
        PrefetchAhead(mapping, from, to - from);
        int status = FindMatchesPread(mapping, buffer, needle_, from, to, scan_end, limit_, found[batch]);
        if (status == kReadOk) return true;
        io_error_ = status;
        failure_ = status == kShortRead ? JobFailure::kTruncated : JobFailure::kIo;
        return false;
      }
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
        uint64_t to = std::min(end_, start_ + (batch + 1) * batch_bytes);
        matches.clear();
        if (use_pread) {
          ScanBuffer buffer;
          int status = FindMatchesPread(mapping, buffer, needle_, previous_end, to, std::min(end_, to + overlap),
                                        limit_, matches);
          if (status != kReadOk) {
            io_error_ = status;
            failure_ = status == kShortRead ? JobFailure::kTruncated : JobFailure::kIo;
            return;
          }
        } else if (!FindMatches(mapping, needle_, previous_end, to, std::min(end_, to + overlap), limit_, matches)) {
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
        deferred_.Reject(JobError(env, failure_, mapping_->path, io_error_.load()).Value());
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
  std::atomic<int> io_error_{0};
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

namespace {

// Throws the error a pread scan status stands for (nothing for kReadOk).
void ThrowReadStatus(Napi::Env env, int status, const std::string& path) {
  if (status == kShortRead) throw TruncatedError(env, path);
  if (status != kReadOk) throw ErrnoError(env, status, "pread", "cannot read", path);
}

// Runs a synchronous bulk scan's batches on all cores; returns the first failing status.
template <typename Work>
int RunReadBatches(uint64_t count, Work&& work) {
  std::atomic<int> failed{kReadOk};
  RunBatches(count, [&](uint64_t batch, ScanBuffer& buffer) {
    int status = work(batch, buffer);
    if (status == kReadOk) return true;
    int expected = kReadOk;
    failed.compare_exchange_strong(expected, status);
    return false;
  });
  return failed.load();
}

}  // namespace

ScanSettings CurrentScanSettings() {
  AtomicScanSettings& settings = Settings();
  return ScanSettings{settings.strategy.load(), settings.buffer_bytes.load(), settings.batch_bytes.load()};
}

void SetScanSettings(const ScanSettings& settings) {
  Settings().strategy = settings.strategy;
  Settings().buffer_bytes = settings.buffer_bytes;
  Settings().batch_bytes = settings.batch_bytes;
}

std::vector<uint32_t> CountChunksIn(Napi::Env env, const Mapping& mapping, uint64_t chunk_size,
                                    uint64_t first_chunk, uint64_t end_chunk) {
  const uint64_t chunk_total = (mapping.size + chunk_size - 1) / chunk_size;
  if (first_chunk > end_chunk || end_chunk > chunk_total) {
    throw Napi::RangeError::New(env, "Invalid chunks " + std::to_string(first_chunk) + ".." +
                                         std::to_string(end_chunk) + " of " + std::to_string(chunk_total));
  }
  // Indexed by absolute chunk number, minus first_chunk.
  std::vector<uint32_t> counts(end_chunk - first_chunk);
  uint32_t* shifted = counts.data() - first_chunk;
  const uint64_t span = std::min(mapping.size, end_chunk * chunk_size) - first_chunk * chunk_size;
  if (span == 0) return counts;
  const bool use_pread = UsePread(mapping);
  const uint64_t chunks_per_batch = std::max<uint64_t>(1, Settings().batch_bytes.load() / chunk_size);
  const uint64_t chunks = end_chunk - first_chunk;
  const uint64_t batches = (chunks + chunks_per_batch - 1) / chunks_per_batch;
  int status = RunReadBatches(batches, [&](uint64_t batch, ScanBuffer& buffer) {
    uint64_t from = first_chunk + batch * chunks_per_batch;
    uint64_t to = std::min(end_chunk, from + chunks_per_batch);
    if (use_pread && BatchWantsPread(mapping, from * chunk_size, (to - from) * chunk_size)) {
      return CountChunksPread(mapping, buffer, chunk_size, from, to, shifted, nullptr);
    }
    return CountChunksMapped(mapping, chunk_size, from, to, shifted, nullptr) ? kReadOk : kShortRead;
  });
  ThrowReadStatus(env, status, mapping.path);
  return counts;
}

uint64_t CountNewlinesIn(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end) {
  CheckRange(env, start, end, mapping.size);
  uint64_t count = 0;
  if (end - start >= kBulkScanBytes) {
    const bool use_pread = UsePread(mapping);
    const uint64_t batch_bytes = Settings().batch_bytes.load();
    const uint64_t batches = (end - start + batch_bytes - 1) / batch_bytes;
    std::atomic<uint64_t> total{0};
    int status = RunReadBatches(batches, [&](uint64_t batch, ScanBuffer& buffer) {
      uint64_t from = start + batch * batch_bytes;
      uint64_t to = std::min(end, from + batch_bytes);
      uint64_t batch_count = 0;
      int result = kReadOk;
      if (use_pread && BatchWantsPread(mapping, from, to - from)) result = CountSpanPread(mapping, buffer, from, to, &batch_count);
      else if (!guarded([&] { batch_count = CountNewlines(mapping.base + from, to - from); })) result = kShortRead;
      total.fetch_add(batch_count);
      return result;
    });
    ThrowReadStatus(env, status, mapping.path);
    return total.load();
  }
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
  if (end - start >= kBulkScanBytes && UsePread(mapping) && PreadFits(needle) &&
      BatchWantsPread(mapping, start, end - start)) {
    // One thread: the matches come in order and the caller may want only the first few.
    ScanBuffer buffer;
    ThrowReadStatus(env, FindMatchesPread(mapping, buffer, needle, start, end, end, limit, matches), mapping.path);
    return matches;
  }
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
                               Napi::Function on_progress, std::shared_ptr<std::atomic<bool>> closing,
                               bool foreground) {
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  auto* job = new ChunkIndexJob(env, std::move(mapping), chunk_size, on_progress, cancelled, std::move(closing),
                                foreground);
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
