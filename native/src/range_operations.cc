#include "range_operations.h"

#include <sys/mman.h>

#include <algorithm>
#include <atomic>
#include <cstring>

#include "byte_scan.h"
#include "durable_io.h"
#include "errors.h"
#include "range_scans.h"
#include "scan_pool.h"
#include "scan_settings.h"
#include "sigbus_guard.h"

namespace gigapad {

namespace {

// Synchronous LF counts over at least this many bytes run on all cores (and literal searches
// read with pread, when that is the strategy); shorter ones read the mapping on the calling thread.
constexpr uint64_t kBulkScanBytes = 4ull << 20;

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

void CheckChunkSize(Napi::Env env, uint64_t chunk_size, LineFeedRule rule) {
  if (chunk_size % UnitBytes(rule) != 0) {
    throw Napi::RangeError::New(env, "chunkSize " + std::to_string(chunk_size) +
                                         " must be a whole number of UTF-16 units (even)");
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

uint64_t CopyRangeTo(Napi::Env env, int source_fd, uint64_t size, const std::string& path, int out_fd,
                     uint64_t out_offset, uint64_t start, uint64_t end) {
  CheckRange(env, start, end, size);
  int64_t copied = CopyFileRange(source_fd, start, out_fd, out_offset, end - start);
  if (copied < 0) throw ErrnoError(env, static_cast<int>(-copied), "copy_file_range", "cannot copy from", path);
  if (static_cast<uint64_t>(copied) != end - start) throw TruncatedError(env, path);
  return static_cast<uint64_t>(copied);
}

std::vector<uint32_t> CountChunksIn(Napi::Env env, const Mapping& mapping, uint64_t chunk_size,
                                    uint64_t first_chunk, uint64_t end_chunk, LineFeedRule rule) {
  CheckChunkSize(env, chunk_size, rule);
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
  const uint64_t chunks_per_batch = std::max<uint64_t>(1, ScanBatchBytes() / chunk_size);
  const uint64_t chunks = end_chunk - first_chunk;
  const uint64_t batches = (chunks + chunks_per_batch - 1) / chunks_per_batch;
  int status = RunReadBatches(batches, [&](uint64_t batch, ScanBuffer& buffer) {
    uint64_t from = first_chunk + batch * chunks_per_batch;
    uint64_t to = std::min(end_chunk, from + chunks_per_batch);
    if (use_pread && BatchWantsPread(mapping, from * chunk_size, (to - from) * chunk_size)) {
      return CountChunksPread(mapping, buffer, chunk_size, from, to, shifted, nullptr, rule);
    }
    return CountChunksMapped(mapping, chunk_size, from, to, shifted, nullptr, rule) ? kReadOk : kShortRead;
  });
  ThrowReadStatus(env, status, mapping.path);
  return counts;
}

uint64_t CountNewlinesIn(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end, LineFeedRule rule) {
  CheckRange(env, start, end, mapping.size);
  start = UnitStart(start, rule);
  uint64_t count = 0;
  if (end - start >= kBulkScanBytes) {
    const bool use_pread = UsePread(mapping);
    // Batches of whole units (the settings may make them any size in tests).
    const uint64_t unit = UnitBytes(rule);
    const uint64_t batch_bytes = (ScanBatchBytes() + unit - 1) / unit * unit;
    const uint64_t batches = (end - start + batch_bytes - 1) / batch_bytes;
    std::atomic<uint64_t> total{0};
    int status = RunReadBatches(batches, [&](uint64_t batch, ScanBuffer& buffer) {
      uint64_t from = start + batch * batch_bytes;
      uint64_t to = std::min(end, from + batch_bytes);
      uint64_t batch_count = 0;
      int result = kReadOk;
      if (use_pread && BatchWantsPread(mapping, from, to - from)) {
        result = CountSpanPread(mapping, buffer, from, to, &batch_count, rule);
      } else if (!guarded([&] { batch_count = CountLineFeeds(mapping.base + from, to - from, rule); })) {
        result = kShortRead;
      }
      total.fetch_add(batch_count);
      return result;
    });
    ThrowReadStatus(env, status, mapping.path);
    return total.load();
  }
  if (end > start && !guarded([&] { count = CountLineFeeds(mapping.base + start, end - start, rule); })) {
    throw TruncatedError(env, mapping.path);
  }
  return count;
}

double NthNewlineIn(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end, uint64_t n,
                    LineFeedRule rule) {
  CheckRange(env, start, end, mapping.size);
  start = UnitStart(start, rule);
  size_t hit = kNotFound;
  if (end > start && !guarded([&] { hit = FindNthLineFeed(mapping.base + start, end - start, n, rule); })) {
    throw TruncatedError(env, mapping.path);
  }
  return hit == kNotFound ? -1.0 : static_cast<double>(start + hit);
}

std::vector<uint64_t> FindAllIn(Napi::Env env, const Mapping& mapping, const std::vector<uint8_t>& needle,
                                uint64_t start, uint64_t end, uint64_t limit, LineFeedRule rule) {
  CheckRange(env, start, end, mapping.size);
  const uint64_t align = UnitBytes(rule);
  std::vector<uint64_t> matches;
  if (end - start >= kBulkScanBytes && UsePread(mapping) && PreadFits(needle) &&
      BatchWantsPread(mapping, start, end - start)) {
    // One thread: the matches come in order and the caller may want only the first few.
    ScanBuffer buffer;
    ThrowReadStatus(env, FindMatchesPread(mapping, buffer, needle, start, end, end, limit, matches, align),
                     mapping.path);
    return matches;
  }
  if (!FindMatches(mapping, needle, start, end, end, limit, matches, align)) throw TruncatedError(env, mapping.path);
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
  AdviseRange(mapping, start, end, advice,
              advice == MADV_DONTNEED ? PageRounding::kInward : PageRounding::kOutward);
}

}  // namespace gigapad
