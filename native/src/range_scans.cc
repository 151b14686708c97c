#include "range_scans.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "byte_scan.h"
#include "scan_settings.h"
#include "sigbus_guard.h"

namespace gigapad {

namespace {

// Buffers at least this large read from page boundaries (see FindMatchesPread).
constexpr uint64_t kAlignedReadMinBytes = 64 * 1024;

}  // namespace

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

int CountChunksPread(const Mapping& mapping, ScanBuffer& buffer, uint64_t chunk_size, uint64_t first_chunk,
                     uint64_t end_chunk, uint32_t* counts, uint64_t* crlf, LineFeedRule rule) {
  uint8_t* data = buffer.Data();
  if (data == nullptr) return ENOMEM;
  const uint64_t unit = UnitBytes(rule);
  // Reads of whole units, so that no unit is cut between two of them.
  const uint64_t capacity = buffer.Size() / unit * unit;
  const uint64_t start = first_chunk * chunk_size;
  const uint64_t end = std::min(mapping.size, end_chunk * chunk_size);
  for (uint64_t chunk = first_chunk; chunk < end_chunk; ++chunk) counts[chunk] = 0;
  uint16_t previous = 0;  // the unit before the piece being counted (0 before the file)
  bool previous_known = start == 0;
  for (uint64_t position = start; position < end;) {
    const uint64_t length = std::min(capacity, end - position);
    int status = ReadFully(mapping.fd, data, position, length);
    if (status != kReadOk) return status;
    for (uint64_t at = position; at < position + length;) {
      const uint64_t chunk = at / chunk_size;
      const uint64_t piece_end = std::min(position + length, (chunk + 1) * chunk_size);
      const uint8_t* piece = data + (at - position);
      const uint64_t lf = CountLineFeeds(piece, piece_end - at, rule);
      counts[chunk] += static_cast<uint32_t>(lf);
      if (crlf != nullptr && lf != 0) {
        uint16_t before = at == position ? previous : UnitBefore(piece, rule);
        if (at == position && !previous_known && CountLineFeeds(piece, unit, rule) != 0) {
          uint8_t bytes[2] = {0, 0};
          status = ReadFully(mapping.fd, bytes, at - unit, unit);
          if (status != kReadOk) return status;
          before = UnitBefore(bytes + unit, rule);
        }
        *crlf += CountCrlf(piece, piece_end - at, before, rule);
      }
      at = piece_end;
    }
    if (length >= unit) previous = UnitBefore(data + length, rule);
    previous_known = true;
    position += length;
  }
  return kReadOk;
}

bool CountChunksMapped(const Mapping& mapping, uint64_t chunk_size, uint64_t first_chunk, uint64_t end_chunk,
                       uint32_t* counts, uint64_t* crlf, LineFeedRule rule) {
  return guarded([&] {
    for (uint64_t chunk = first_chunk; chunk < end_chunk; ++chunk) {
      uint64_t chunk_start = chunk * chunk_size;
      uint64_t chunk_end = std::min(mapping.size, chunk_start + chunk_size);
      const uint8_t* data = mapping.base + chunk_start;
      counts[chunk] = static_cast<uint32_t>(CountLineFeeds(data, chunk_end - chunk_start, rule));
      // CRLF pairs only matter where there are newlines at all.
      if (crlf != nullptr && counts[chunk] != 0) {
        *crlf += CountCrlf(data, chunk_end - chunk_start, chunk_start == 0 ? 0 : UnitBefore(data, rule), rule);
      }
    }
  });
}

int CountSpanPread(const Mapping& mapping, ScanBuffer& buffer, uint64_t start, uint64_t end, uint64_t* count,
                   LineFeedRule rule) {
  uint8_t* data = buffer.Data();
  if (data == nullptr) return ENOMEM;
  const uint64_t unit = UnitBytes(rule);
  const uint64_t capacity = buffer.Size() / unit * unit;
  for (uint64_t position = start; position < end;) {
    const uint64_t length = std::min(capacity, end - position);
    int status = ReadFully(mapping.fd, data, position, length);
    if (status != kReadOk) return status;
    *count += CountLineFeeds(data, length, rule);
    position += length;
  }
  return kReadOk;
}

int FindMatchesPread(const Mapping& mapping, ScanBuffer& buffer, const std::vector<uint8_t>& needle, uint64_t from,
                     uint64_t to, uint64_t scan_end, uint64_t limit, std::vector<uint64_t>& out, uint64_t align) {
  uint8_t* data = buffer.Data();
  if (data == nullptr) return ENOMEM;
  const uint64_t capacity = buffer.Size();
  const uint64_t length = needle.size();
  const uint64_t overlap = length - 1;
  uint64_t position = from;
  while (position < to && out.size() < limit && position + length <= scan_end) {
    // Reads start on a page boundary (with real buffers): a copy whose source and target are
    // misaligned differently runs far slower in the kernel's copy loop on some machines.
    const bool page_aligned = capacity >= kAlignedReadMinBytes && capacity > overlap + 4096;
    const uint64_t read_start = page_aligned ? position / 4096 * 4096 : position;
    const uint64_t read_end = std::min(scan_end, read_start + capacity);
    int status = ReadFully(mapping.fd, data, read_start, read_end - read_start);
    if (status != kReadOk) return status;
    // Starts before settled_end have their whole match inside this read.
    const uint64_t settled_end = std::min(to, read_end - overlap);
    uint64_t at = position;
    while (out.size() < limit && at + length <= read_end) {
      size_t hit = FindLiteral(data + (at - read_start), read_end - at, needle.data(), length);
      if (hit == kNotFound || at + hit >= settled_end) break;
      if ((at + hit) % align != 0) {
        at += hit + 1;
        continue;
      }
      out.push_back(at + hit);
      at += hit + length;
    }
    position = std::max(at, settled_end);
  }
  return kReadOk;
}

void PrefetchAhead(const Mapping& mapping, uint64_t start, uint64_t length) {
  uint64_t ahead = start + length * ScanThreadCount();
  if (length == 0 || ahead >= mapping.size) return;
  posix_fadvise(mapping.fd, static_cast<off_t>(ahead), static_cast<off_t>(std::min(length, mapping.size - ahead)),
                POSIX_FADV_WILLNEED);
}

bool PreadFits(const std::vector<uint8_t>& needle) {
  const uint64_t buffer = ScanBufferBytes();
  const uint64_t alignment = buffer >= kAlignedReadMinBytes ? 4096 : 0;
  return needle.size() * 2 + alignment <= buffer;
}

bool FindMatches(const Mapping& mapping, const std::vector<uint8_t>& needle, uint64_t from, uint64_t to,
                 uint64_t scan_end, uint64_t limit, std::vector<uint64_t>& out, uint64_t align) {
  const uint8_t* base = mapping.base;
  const uint64_t length = needle.size();
  return guarded([&] {
    uint64_t position = from;
    while (position < to && out.size() < limit && position + length <= scan_end) {
      size_t hit = FindLiteral(base + position, scan_end - position, needle.data(), length);
      if (hit == kNotFound || position + hit >= to) break;
      if ((position + hit) % align != 0) {
        position += hit + 1;
        continue;
      }
      out.push_back(position + hit);
      position += hit + length;
    }
  });
}

bool FindLines(const Mapping& mapping, const std::vector<uint8_t>& needle, uint64_t from, uint64_t to,
               uint64_t scan_end, uint64_t floor, uint64_t ceiling, std::vector<uint64_t>& spans,
               std::vector<uint8_t>& bytes) {
  const uint8_t* base = mapping.base;
  const uint64_t length = needle.size();
  uint64_t position = from;
  while (position < to && position + length <= scan_end) {
    uint64_t line_start = 0;
    uint64_t line_end = 0;
    bool found = false;
    bool read_ok = guarded([&] {
      size_t hit = FindLiteral(base + position, scan_end - position, needle.data(), length);
      if (hit == kNotFound || position + hit >= to) return;
      const uint64_t match = position + hit;
      const void* before = match > floor ? memrchr(base + floor, '\n', match - floor) : nullptr;
      line_start = before == nullptr ? floor : static_cast<uint64_t>(static_cast<const uint8_t*>(before) - base) + 1;
      // The line ends with the first LF from the match's last byte on (a needle may hold LFs).
      const uint64_t last = match + length - 1;
      const void* after = memchr(base + last, '\n', ceiling - last);
      line_end = after == nullptr ? ceiling : static_cast<uint64_t>(static_cast<const uint8_t*>(after) - base) + 1;
      found = true;
    });
    if (!read_ok) return false;
    if (!found) break;
    // Only a needle holding a LF can give a line that overlaps the one before: join them.
    uint64_t copy_from = line_start;
    if (!spans.empty() && line_start < spans.back()) {
      copy_from = spans.back();
      spans.back() = std::max(spans.back(), line_end);
    } else {
      spans.push_back(line_start);
      spans.push_back(line_end);
    }
    if (line_end > copy_from) {
      const size_t at = bytes.size();
      bytes.resize(at + (line_end - copy_from));
      uint8_t* target = bytes.data() + at;
      const uint8_t* source = base + copy_from;
      const uint64_t count = line_end - copy_from;
      if (!guarded([&] { std::memcpy(target, source, count); })) return false;
    }
    // Every match starting before this point lies inside the line just taken.
    position = line_end - (length - 1);
  }
  return true;
}

}  // namespace gigapad
