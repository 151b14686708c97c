// How bulk sequential scans read a mapped file (the scan strategy and sizes), and the choice it
// makes for each batch.
#pragma once

#include <cstdint>

#include "mapping.h"

namespace gigapad {

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

// The settings' sizes as they are now (each read atomically).
uint64_t ScanBatchBytes();
uint64_t ScanBufferBytes();

// Whether a bulk scan of mapping may read with pread (a MappedFile has its fd; the add buffer's
// view has none and always reads its mapping).
bool UsePread(const Mapping& mapping);

// For a scan that may use pread (UsePread): whether this batch does. With the auto strategy, a
// batch in the page cache is read through the mapping (cheaper there: no copy), one that is not
// with pread (read-ahead; the mapping is MADV_RANDOM and would fault it in a page at a time).
bool BatchWantsPread(const Mapping& mapping, uint64_t start, uint64_t length);

}  // namespace gigapad
