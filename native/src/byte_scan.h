// Byte-scanning kernels over raw memory: newline counting and literal search.
// Vectorised (AVX2 or SSE2 on x86-64, chosen at run time; portable code elsewhere).
// They never allocate and never throw, so they may run inside guarded().
#pragma once

#include <cstddef>
#include <cstdint>

namespace gigapad {

constexpr size_t kNotFound = static_cast<size_t>(-1);

// Number of '\n' bytes in [data, data + length).
uint64_t CountNewlines(const uint8_t* data, size_t length);

// Number of "\r\n" pairs whose '\n' lies in [data, data + length); previous is the byte before
// data (0 at the start of a buffer), so a pair split across two ranges is counted once, in the
// range holding its '\n'.
uint64_t CountCrlfPairs(const uint8_t* data, size_t length, uint8_t previous);

// Offset of the n-th (0-based) '\n' in [data, data + length), or kNotFound.
size_t FindNthNewline(const uint8_t* data, size_t length, uint64_t n);

// Offset of the first occurrence of needle in haystack, or kNotFound.
size_t FindLiteral(const uint8_t* haystack, size_t haystack_length, const uint8_t* needle,
                   size_t needle_length);

}  // namespace gigapad
