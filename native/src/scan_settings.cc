#include "scan_settings.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdlib>
#include <cstring>

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

uint64_t ScanBatchBytes() { return Settings().batch_bytes.load(); }

uint64_t ScanBufferBytes() { return Settings().buffer_bytes.load(); }

bool UsePread(const Mapping& mapping) {
  return mapping.fd >= 0 && Settings().strategy.load() != ScanStrategy::kMmap;
}

bool BatchWantsPread(const Mapping& mapping, uint64_t start, uint64_t length) {
  return Settings().strategy.load() == ScanStrategy::kPread || !LooksCached(mapping, start, length);
}

}  // namespace gigapad
