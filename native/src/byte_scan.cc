#include "byte_scan.h"

#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#define GIGAPAD_X86 1
#include <immintrin.h>
#endif

namespace gigapad {

namespace {

uint64_t CountNewlinesPortable(const uint8_t* data, size_t length) {
  // SWAR: eight bytes per step. A byte equal to '\n' becomes 0x80 in `found`, others 0.
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  constexpr uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;
  uint64_t count = 0;
  size_t i = 0;
  for (; i + 8 <= length; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, 8);
    uint64_t x = word ^ (kOnes * '\n');
    // Exact zero-byte test (no false positives, unlike the classic haszero trick).
    uint64_t found = ~(((x & kLow7) + kLow7) | x | kLow7) & kHigh;
    count += static_cast<uint64_t>(__builtin_popcountll(found));
  }
  for (; i < length; ++i) count += data[i] == '\n';
  return count;
}

#if GIGAPAD_X86
// SSE2 is part of x86-64, so this needs no dispatch.
uint64_t CountNewlinesSse2(const uint8_t* data, size_t length) {
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i zero = _mm_setzero_si128();
  __m128i total = zero;  // two 64-bit lanes
  size_t i = 0;
  while (i + 16 <= length) {
    // Each byte lane of `acc` counts matches; flush before it can reach 256.
    __m128i acc = zero;
    size_t rounds = (length - i) / 16;
    if (rounds > 255) rounds = 255;
    for (size_t r = 0; r < rounds; ++r, i += 16) {
      __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      acc = _mm_sub_epi8(acc, _mm_cmpeq_epi8(block, newline));
    }
    total = _mm_add_epi64(total, _mm_sad_epu8(acc, zero));
  }
  uint64_t lanes[2];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes), total);
  return lanes[0] + lanes[1] + CountNewlinesPortable(data + i, length - i);
}

__attribute__((target("avx2"))) uint64_t CountNewlinesAvx2(const uint8_t* data, size_t length) {
  const __m256i newline = _mm256_set1_epi8('\n');
  const __m256i zero = _mm256_setzero_si256();
  __m256i total = zero;
  size_t i = 0;
  while (i + 64 <= length) {
    __m256i acc_a = zero;
    __m256i acc_b = zero;
    size_t rounds = (length - i) / 64;
    if (rounds > 255) rounds = 255;
    for (size_t r = 0; r < rounds; ++r, i += 64) {
      __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i));
      __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i + 32));
      acc_a = _mm256_sub_epi8(acc_a, _mm256_cmpeq_epi8(a, newline));
      acc_b = _mm256_sub_epi8(acc_b, _mm256_cmpeq_epi8(b, newline));
    }
    total = _mm256_add_epi64(total, _mm256_sad_epu8(acc_a, zero));
    total = _mm256_add_epi64(total, _mm256_sad_epu8(acc_b, zero));
  }
  uint64_t lanes[4];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), total);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + CountNewlinesSse2(data + i, length - i);
}

// Muła's "generic SIMD" substring search: compare the needle's first and last bytes at 32
// candidate positions at once; only positions where both match are verified with memcmp.
__attribute__((target("avx2"))) size_t FindLiteralAvx2(const uint8_t* haystack, size_t length,
                                                      const uint8_t* needle, size_t needle_length) {
  const __m256i first = _mm256_set1_epi8(static_cast<char>(needle[0]));
  const __m256i last = _mm256_set1_epi8(static_cast<char>(needle[needle_length - 1]));
  const size_t last_offset = needle_length - 1;
  size_t i = 0;
  // Candidate start i is valid while i + needle_length <= length.
  for (; i + last_offset + 32 <= length; i += 32) {
    __m256i block_first = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(haystack + i));
    __m256i block_last =
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(haystack + i + last_offset));
    uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_and_si256(
        _mm256_cmpeq_epi8(block_first, first), _mm256_cmpeq_epi8(block_last, last))));
    while (mask != 0) {
      unsigned bit = static_cast<unsigned>(__builtin_ctz(mask));
      if (std::memcmp(haystack + i + bit + 1, needle + 1, needle_length - 2) == 0) {
        return i + bit;
      }
      mask &= mask - 1;
    }
  }
  for (; i + needle_length <= length; ++i) {
    if (haystack[i] == needle[0] && std::memcmp(haystack + i, needle, needle_length) == 0) return i;
  }
  return kNotFound;
}

__attribute__((target("avx2"))) uint64_t CountCrlfAvx2(const uint8_t* data, size_t length) {
  // Counts positions i >= 1 with data[i - 1] == '\r' && data[i] == '\n'.
  const __m256i newline = _mm256_set1_epi8('\n');
  const __m256i carriage = _mm256_set1_epi8('\r');
  uint64_t count = 0;
  size_t i = 1;
  for (; i + 32 <= length; i += 32) {
    __m256i current = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i));
    __m256i previous = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i - 1));
    uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(
        _mm256_and_si256(_mm256_cmpeq_epi8(current, newline), _mm256_cmpeq_epi8(previous, carriage))));
    count += static_cast<uint64_t>(__builtin_popcount(mask));
  }
  for (; i < length; ++i) count += data[i] == '\n' && data[i - 1] == '\r';
  return count;
}

// The n-th '\n': skip 32-byte blocks by their popcount, then pick the bit inside the block.
__attribute__((target("avx2,popcnt,bmi2"))) size_t FindNthNewlineAvx2(const uint8_t* data, size_t length,
                                                                      uint64_t n) {
  const __m256i newline = _mm256_set1_epi8('\n');
  size_t i = 0;
  for (; i + 32 <= length; i += 32) {
    __m256i block = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i));
    uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi8(block, newline)));
    uint64_t count = static_cast<uint64_t>(__builtin_popcount(mask));
    if (n < count) {
      // _pdep_u32(1 << n, mask) keeps the n-th set bit of mask.
      return i + static_cast<size_t>(__builtin_ctz(_pdep_u32(1u << n, mask)));
    }
    n -= count;
  }
  for (; i < length; ++i) {
    if (data[i] == '\n' && n-- == 0) return i;
  }
  return kNotFound;
}

bool HasAvx2() {
  static const bool has = __builtin_cpu_supports("avx2");
  return has;
}

bool HasBmi2() {
  static const bool has = __builtin_cpu_supports("bmi2");
  return has;
}
#endif

}  // namespace

uint64_t CountNewlines(const uint8_t* data, size_t length) {
#if GIGAPAD_X86
  if (HasAvx2()) return CountNewlinesAvx2(data, length);
  return CountNewlinesSse2(data, length);
#else
  return CountNewlinesPortable(data, length);
#endif
}

uint64_t CountCrlfPairs(const uint8_t* data, size_t length, uint8_t previous) {
  if (length == 0) return 0;
  uint64_t count = data[0] == '\n' && previous == '\r';
#if GIGAPAD_X86
  if (HasAvx2()) return count + CountCrlfAvx2(data, length);
#endif
  for (size_t i = 1; i < length; ++i) count += data[i] == '\n' && data[i - 1] == '\r';
  return count;
}

size_t FindNthNewline(const uint8_t* data, size_t length, uint64_t n) {
#if GIGAPAD_X86
  if (HasAvx2() && HasBmi2()) return FindNthNewlineAvx2(data, length, n);
#endif
  const uint8_t* cursor = data;
  const uint8_t* end = data + length;
  for (;;) {
    const void* hit = std::memchr(cursor, '\n', static_cast<size_t>(end - cursor));
    if (hit == nullptr) return kNotFound;
    const uint8_t* at = static_cast<const uint8_t*>(hit);
    if (n == 0) return static_cast<size_t>(at - data);
    --n;
    cursor = at + 1;
  }
}

size_t FindLiteral(const uint8_t* haystack, size_t length, const uint8_t* needle,
                   size_t needle_length) {
  if (needle_length == 0) return 0;
  if (needle_length > length) return kNotFound;
  if (needle_length == 1) {
    const void* hit = std::memchr(haystack, needle[0], length);
    return hit == nullptr ? kNotFound : static_cast<size_t>(static_cast<const uint8_t*>(hit) - haystack);
  }
#if GIGAPAD_X86
  if (HasAvx2()) return FindLiteralAvx2(haystack, length, needle, needle_length);
#endif
  const void* hit = memmem(haystack, length, needle, needle_length);
  return hit == nullptr ? kNotFound : static_cast<size_t>(static_cast<const uint8_t*>(hit) - haystack);
}

}  // namespace gigapad
