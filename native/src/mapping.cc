#include "mapping.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

namespace gigapad {

Mapping::~Mapping() {
  if (owns_mapping && base != nullptr) munmap(base, size);
  if (fd >= 0) close(fd);
}

uint64_t PageSize() {
  static const uint64_t size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return size;
}

void AdviseRange(const Mapping& mapping, uint64_t start, uint64_t end, int advice, PageRounding rounding) {
  if (mapping.base == nullptr || start >= end) return;
  const uint64_t page = PageSize();
  const bool outward = rounding == PageRounding::kOutward;
  const uint64_t first = outward ? start / page * page : (start + page - 1) / page * page;
  const uint64_t last = outward ? std::min(mapping.size, (end + page - 1) / page * page) : end / page * page;
  if (first >= last) return;
  madvise(mapping.base + first, last - first, advice);
}

void CheckRange(Napi::Env env, uint64_t start, uint64_t end, uint64_t size) {
  if (start > end || end > size) {
    throw Napi::RangeError::New(env, "Invalid range " + std::to_string(start) + ".." + std::to_string(end) +
                                         " in a buffer of length " + std::to_string(size));
  }
}

}  // namespace gigapad
