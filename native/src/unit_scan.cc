#include "unit_scan.h"

#include "byte_scan.h"

#if defined(__x86_64__) || defined(_M_X64)
#define GIGAPAD_X86 1
#include <immintrin.h>
#endif

namespace gigapad {

namespace {

inline uint16_t UnitAt(const uint8_t* data, size_t offset) {
  return static_cast<uint16_t>(data[offset] | (data[offset + 1] << 8));
}

uint64_t CountUnitsPortable(const uint8_t* data, size_t length, uint16_t target) {
  uint64_t count = 0;
  for (size_t i = 0; i + 2 <= length; i += 2) count += UnitAt(data, i) == target;
  return count;
}

#if GIGAPAD_X86
// Each 16-bit lane of an accumulator counts matches; summed through _mm_madd_epi16 (signed
// 16-bit products) before a lane can pass 32767.
constexpr size_t kMaxRounds = 16383;

uint64_t CountUnitsSse2(const uint8_t* data, size_t length, uint16_t target) {
  const __m128i wanted = _mm_set1_epi16(static_cast<short>(target));
  const __m128i ones = _mm_set1_epi16(1);
  const __m128i zero = _mm_setzero_si128();
  __m128i total = zero;  // two 64-bit lanes
  size_t i = 0;
  while (i + 32 <= length) {
    __m128i acc = zero;
    size_t rounds = (length - i) / 32;
    if (rounds > kMaxRounds) rounds = kMaxRounds;
    for (size_t r = 0; r < rounds; ++r, i += 32) {
      __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i + 16));
      acc = _mm_sub_epi16(acc, _mm_cmpeq_epi16(a, wanted));
      acc = _mm_sub_epi16(acc, _mm_cmpeq_epi16(b, wanted));
    }
    __m128i sums = _mm_madd_epi16(acc, ones);  // four non-negative 32-bit sums
    total = _mm_add_epi64(total, _mm_unpacklo_epi32(sums, zero));
    total = _mm_add_epi64(total, _mm_unpackhi_epi32(sums, zero));
  }
  uint64_t lanes[2];
  _mm_storeu_si128(reinterpret_cast<__m128i*>(lanes), total);
  return lanes[0] + lanes[1] + CountUnitsPortable(data + i, length - i, target);
}

__attribute__((target("avx2"))) uint64_t CountUnitsAvx2(const uint8_t* data, size_t length, uint16_t target) {
  const __m256i wanted = _mm256_set1_epi16(static_cast<short>(target));
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i zero = _mm256_setzero_si256();
  __m256i total = zero;  // four 64-bit lanes
  size_t i = 0;
  while (i + 64 <= length) {
    __m256i acc = zero;
    size_t rounds = (length - i) / 64;
    if (rounds > kMaxRounds) rounds = kMaxRounds;
    for (size_t r = 0; r < rounds; ++r, i += 64) {
      __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i));
      __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i + 32));
      acc = _mm256_sub_epi16(acc, _mm256_cmpeq_epi16(a, wanted));
      acc = _mm256_sub_epi16(acc, _mm256_cmpeq_epi16(b, wanted));
    }
    __m256i sums = _mm256_madd_epi16(acc, ones);  // eight non-negative 32-bit sums
    total = _mm256_add_epi64(total, _mm256_cvtepu32_epi64(_mm256_castsi256_si128(sums)));
    total = _mm256_add_epi64(total, _mm256_cvtepu32_epi64(_mm256_extracti128_si256(sums, 1)));
  }
  uint64_t lanes[4];
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(lanes), total);
  return lanes[0] + lanes[1] + lanes[2] + lanes[3] + CountUnitsSse2(data + i, length - i, target);
}

// Pairs of units (first, second) with second at unit index >= 1: compare the block and the
// block one unit before.
__attribute__((target("avx2,popcnt"))) uint64_t CountUnitPairsAvx2(const uint8_t* data, size_t length,
                                                                  uint16_t first, uint16_t second, size_t* next) {
  const __m256i want_first = _mm256_set1_epi16(static_cast<short>(first));
  const __m256i want_second = _mm256_set1_epi16(static_cast<short>(second));
  uint64_t count = 0;
  size_t i = 2;
  for (; i + 32 <= length; i += 32) {
    __m256i current = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i));
    __m256i previous = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i - 2));
    uint32_t mask = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_and_si256(
        _mm256_cmpeq_epi16(current, want_second), _mm256_cmpeq_epi16(previous, want_first))));
    count += static_cast<uint64_t>(__builtin_popcount(mask)) / 2;
  }
  *next = i;
  return count;
}

// The n-th unit: skip 32-byte blocks by the popcount of their even mask bits (one per unit),
// then pick the bit inside the block.
__attribute__((target("avx2,popcnt,bmi2"))) size_t FindNthUnitAvx2(const uint8_t* data, size_t length, uint64_t n,
                                                                   uint16_t target) {
  const __m256i wanted = _mm256_set1_epi16(static_cast<short>(target));
  size_t i = 0;
  for (; i + 32 <= length; i += 32) {
    __m256i block = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(data + i));
    uint32_t mask =
        static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_cmpeq_epi16(block, wanted))) & 0x55555555u;
    uint64_t count = static_cast<uint64_t>(__builtin_popcount(mask));
    if (n < count) return i + static_cast<size_t>(__builtin_ctz(_pdep_u32(1u << n, mask)));
    n -= count;
  }
  for (; i + 2 <= length; i += 2) {
    if (UnitAt(data, i) == target && n-- == 0) return i;
  }
  return kNotFound;
}

size_t FindNthUnitSse2(const uint8_t* data, size_t length, uint64_t n, uint16_t target) {
  const __m128i wanted = _mm_set1_epi16(static_cast<short>(target));
  size_t i = 0;
  for (; i + 16 <= length; i += 16) {
    __m128i block = _mm_loadu_si128(reinterpret_cast<const __m128i*>(data + i));
    uint32_t mask = static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi16(block, wanted))) & 0x5555u;
    uint64_t count = static_cast<uint64_t>(__builtin_popcount(mask));
    if (n < count) {
      for (; n > 0; --n) mask &= mask - 1;
      return i + static_cast<size_t>(__builtin_ctz(mask));
    }
    n -= count;
  }
  for (; i + 2 <= length; i += 2) {
    if (UnitAt(data, i) == target && n-- == 0) return i;
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

uint64_t CountUnits(const uint8_t* data, size_t length, uint16_t target) {
#if GIGAPAD_X86
  if (HasAvx2()) return CountUnitsAvx2(data, length, target);
  return CountUnitsSse2(data, length, target);
#else
  return CountUnitsPortable(data, length, target);
#endif
}

uint64_t CountUnitPairs(const uint8_t* data, size_t length, uint16_t first, uint16_t second, uint16_t previous) {
  if (length < 2) return 0;
  uint64_t count = UnitAt(data, 0) == second && previous == first;
  size_t i = 2;
#if GIGAPAD_X86
  if (HasAvx2()) count += CountUnitPairsAvx2(data, length, first, second, &i);
#endif
  for (; i + 2 <= length; i += 2) count += UnitAt(data, i) == second && UnitAt(data, i - 2) == first;
  return count;
}

size_t FindNthUnit(const uint8_t* data, size_t length, uint64_t n, uint16_t target) {
#if GIGAPAD_X86
  if (HasAvx2() && HasBmi2()) return FindNthUnitAvx2(data, length, n, target);
  return FindNthUnitSse2(data, length, n, target);
#else
  for (size_t i = 0; i + 2 <= length; i += 2) {
    if (UnitAt(data, i) == target && n-- == 0) return i;
  }
  return kNotFound;
#endif
}

}  // namespace gigapad
