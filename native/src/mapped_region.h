// What MappedFile and AppendFile share: a mapping of a file's bytes and the operations over a
// byte range of it (copy out, count newlines, literal search), all under the SIGBUS guard.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace gigapad {

// A read-only view of mapped bytes. Owned through shared_ptr so that a background scan keeps the
// mapping alive after close() until the scan has stopped; the destructor unmaps and closes.
struct Mapping {
  std::string path;
  int fd = -1;
  uint8_t* base = nullptr;
  uint64_t size = 0;
  bool owns_mapping = true;
  ~Mapping();
};

// Checks 0 <= start <= end <= size and throws a RangeError naming the values otherwise.
void CheckRange(Napi::Env env, uint64_t start, uint64_t end, uint64_t size);

// Copies [start, end) into a new Buffer. Throws ETRUNCATED on SIGBUS.
Napi::Value CopyOut(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end);

// Copies [start, end) into target at target_offset (a Uint8Array the caller owns). Throws a
// RangeError if it does not fit, ETRUNCATED on SIGBUS.
void CopyInto(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end, const Napi::Value& target,
              uint64_t target_offset);

// copyTo(fd, outOffset, start, end) of a mapping backed by source_fd: copies kernel-side with
// copy_file_range (the page cache holds what was written through the mapping). A short copy means
// the file shrank under us: ETRUNCATED.
Napi::Value CopyRangeTo(const Napi::CallbackInfo& info, int source_fd, uint64_t size, const std::string& path);

// Newlines in [start, end), synchronously. Throws ETRUNCATED on SIGBUS.
uint64_t CountNewlinesIn(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end);

// Offset of the n-th (0-based) newline in [start, end), or -1. Throws ETRUNCATED on SIGBUS.
double NthNewlineIn(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end, uint64_t n);

// Starts of the non-overlapping occurrences of needle in [start, end), leftmost first, at most
// limit of them, synchronously. Throws ETRUNCATED on SIGBUS.
std::vector<uint64_t> FindAllIn(Napi::Env env, const Mapping& mapping, const std::vector<uint8_t>& needle,
                                uint64_t start, uint64_t end, uint64_t limit);

// madvise hints: "sequential" | "random" | "normal" | "willneed" | "dontneed" over a range.
void Advise(Napi::Env env, const Mapping& mapping, const std::string& mode, uint64_t start, uint64_t end);

// Background jobs over a mapping, run on a pool of threads; each returns { promise, cancel }.
// Chunk line index: resolves to { lineFeeds: Uint32Array (newline count per chunk_size bytes of
// [0, size)), crlfPairs: number (CRLF pairs in the whole file) }.
// foreground: the caller waits for nothing else (gigapad info), so the scan keeps normal priority
// instead of yielding to the editor's threads.
Napi::Value StartChunkIndexJob(Napi::Env env, std::shared_ptr<Mapping> mapping, uint64_t chunk_size,
                               Napi::Function on_progress,
                               std::shared_ptr<std::atomic<bool>> closing, bool foreground = false);
// Literal search: like FindAllIn, but in parallel; resolves to a Float64Array of match starts.
Napi::Value StartFindJob(Napi::Env env, std::shared_ptr<Mapping> mapping, std::vector<uint8_t> needle,
                         uint64_t start, uint64_t end, uint64_t limit,
                         std::shared_ptr<std::atomic<bool>> closing);

// Number of scanning threads for background jobs (both cores here, at most 8 anywhere).
unsigned ScanThreadCount();

// How bulk sequential scans (the chunk index, large LF counts, literal search over a big span)
// read a MappedFile: through the mapping, or by pread into per-thread buffers (issue #19: on a
// VM, reading page-cache pages through a mapping cost ~5x copying them with pread). Random
// access (read, readInto, small counts, nthNewline) always uses the mapping. Measured on kernel
// 6.18 (README "Benchmarks"): on a file not in the page cache the mapped scan (MADV_RANDOM
// mapping, populated a batch at a time) took 10-11 s for 1 GiB, pread with read-ahead 1.0-1.3 s
// (wc -l: 0.9 s); on a cached file the mapping was faster and spent a fraction of the system time
// (1 GiB on 2 threads: ~40-95 ms mapped, ~57-185 ms pread). So the default, auto, reads each
// batch through the mapping when a sample of its pages is in the page cache (mincore) and with
// pread otherwise. GIGAPAD_SCAN=auto|mmap|pread in the environment chooses at load,
// configureScan() at run time.
enum class ScanStrategy { kMmap, kPread, kAuto };
struct ScanSettings {
  ScanStrategy strategy;
  // Bytes each scanning thread reads at once (pread); a multiple of the page size normally,
  // tiny in tests so that chunk and match edges fall inside them.
  uint64_t buffer_bytes;
  // Bytes handed to a thread at a time.
  uint64_t batch_bytes;
};
ScanSettings CurrentScanSettings();
void SetScanSettings(const ScanSettings& settings);

// LF counts of chunks [first_chunk, end_chunk) of chunk_size bytes (the last one clipped to the
// mapping's size), on all cores, synchronously. Throws ETRUNCATED if the file shrank.
std::vector<uint32_t> CountChunksIn(Napi::Env env, const Mapping& mapping, uint64_t chunk_size,
                                    uint64_t first_chunk, uint64_t end_chunk);

}  // namespace gigapad
