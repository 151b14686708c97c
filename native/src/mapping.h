// A mapping of a file's bytes (Mapping), and what is said about it page by page: the page size
// and madvise over a byte range.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

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

// The system's page size (sysconf, read once).
uint64_t PageSize();

// Which whole pages of a byte range an advice covers: those wholly inside it (advice that drops
// pages must not drop a neighbour's), or every page it touches (advice that brings pages in).
enum class PageRounding { kInward, kOutward };

// Applies madvise(advice) to the pages of [start, end) of the mapping, rounded as said.
void AdviseRange(const Mapping& mapping, uint64_t start, uint64_t end, int advice, PageRounding rounding);

// Checks 0 <= start <= end <= size and throws a RangeError naming the values otherwise.
void CheckRange(Napi::Env env, uint64_t start, uint64_t end, uint64_t size);

}  // namespace gigapad
