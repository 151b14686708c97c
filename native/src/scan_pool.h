// The scanning threads: how a scan's batches are spread over the cores, and each thread's read
// buffer.
//
// Where scans run (issue #17): on threads of their own, created per scan, not on the libuv pool.
// A background job is queued on the pool (an AsyncWorker, scan_jobs.cc) only to settle its
// promise; that one pool thread waits for the scan threads (background priority) or takes one
// share of the batches itself (foreground: a find, or the index for `gigapad info`), so a scan
// holds at most one pool thread, whatever the pool's size. Why not the pool itself:
// - it has 4 threads shared with every fs call and DNS lookup of the process, and a scan of a big
//   file holds its threads for a second or more — on the pool it would stall the editor's own
//   reads and the session's writes behind it;
// - a background scan lowers its threads' priority, which cannot be undone on a pool thread;
// - a scan wants exactly one thread per core, whatever UV_THREADPOOL_SIZE says.
// A thread costs ~20 us to create, nothing next to a scan of megabytes (smaller scans run on the
// calling thread).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <system_error>
#include <thread>
#include <vector>

namespace gigapad {

// Number of scanning threads (both cores here, at most 8 anywhere).
unsigned ScanThreadCount();

// Background work (the line index of a file being opened) yields the CPU to the editor's own
// threads and the user's other programs, which matter more while a file opens; on an idle machine
// it still gets every core.
enum class ScanPriority { kForeground, kBackground };

// Lowers the calling thread's priority: on Linux its own nice value (threads have their own), on
// macOS the utility QoS class. A thread of our own only: a pool thread could not be raised back.
void LowerThisThreadPriority();

// One scanning thread's read buffer (ScanBufferBytes() long), taken from a process-wide pool of
// prefaulted buffers on first use and given back at the end: scanning threads are created per
// scan, and a fresh 1 MiB buffer would cost 256 page faults (~17 us each on a VM) every time.
class ScanBuffer {
 public:
  ScanBuffer() = default;
  ScanBuffer(const ScanBuffer&) = delete;
  ScanBuffer& operator=(const ScanBuffer&) = delete;
  ~ScanBuffer();
  // The buffer, or nullptr if no memory could be had (the caller reports ENOMEM).
  uint8_t* Data();
  uint64_t Size();

 private:
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

// Runs work(batch, buffer) for batches [0, count) on ScanThreadCount() threads: the caller's and
// helpers (foreground), or only new threads of lowered priority while the caller waits
// (background). Each thread has its own read buffer (taken on first use). work returns false to
// stop everyone. Returns false if any call did.
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

}  // namespace gigapad
