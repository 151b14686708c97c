// The line-feed rule of a buffer and the kernels that count and find line feeds by it: bytes
// (0x0A, UTF-8 and every ASCII-compatible encoding) or UTF-16 code units (0A 00 in UTF-16LE,
// 00 0A in UTF-16BE) at even offsets of the buffer. A unit line feed "is at" its last byte, so
// counts over [a, b) and [b, c) add up to [a, c) wherever b falls, and the byte after a line
// feed is where the next line starts under either rule.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>

namespace gigapad {

enum class LineFeedRule { kByte, kUtf16Le, kUtf16Be };

// Reads a rule argument: undefined or "byte", "utf-16le", "utf-16be"; a TypeError otherwise.
LineFeedRule ReadLineFeedRule(const Napi::Value& value);

// Bytes per code unit: 1 for bytes, 2 for UTF-16.
inline uint64_t UnitBytes(LineFeedRule rule) { return rule == LineFeedRule::kByte ? 1 : 2; }

// The start of the unit holding offset (offsets are buffer offsets: units start at even ones).
inline uint64_t UnitStart(uint64_t offset, LineFeedRule rule) { return offset / UnitBytes(rule) * UnitBytes(rule); }

// The unit before data as a raw value (the byte for kByte; bytes b0 b1 as b0 | b1 << 8 for
// UTF-16), for CRLF pairs that straddle a range's start. data must not be a buffer's start.
inline uint16_t UnitBefore(const uint8_t* data, LineFeedRule rule) {
  if (rule == LineFeedRule::kByte) return data[-1];
  return static_cast<uint16_t>(data[-2] | (data[-1] << 8));
}

// Line feeds whose last byte lies in [data, data + length): data starts a unit (for UTF-16 the
// caller aligns it down), so these are the units wholly inside.
uint64_t CountLineFeeds(const uint8_t* data, size_t length, LineFeedRule rule);

// CR LF pairs (0D 0A, or the units 0D 00 0A 00 / 00 0D 00 0A) whose line feed CountLineFeeds
// counts in [data, data + length); previous is the unit before data (UnitBefore, 0 at a buffer's
// start), so a pair split across two ranges is counted once, in the range holding its line feed.
uint64_t CountCrlf(const uint8_t* data, size_t length, uint16_t previous, LineFeedRule rule);

// Offset (from data) of the last byte of the n-th (0-based) line feed in [data, data + length),
// or kNotFound (byte_scan.h). data starts a unit.
size_t FindNthLineFeed(const uint8_t* data, size_t length, uint64_t n, LineFeedRule rule);

}  // namespace gigapad
