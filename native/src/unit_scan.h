// UTF-16 code-unit kernels: line feeds and CR LF pairs counted and found as 16-bit units at even
// offsets from data (a 16-bit compare; AVX2 or SSE2 on x86-64 as the byte kernels choose, portable
// code elsewhere). Units are raw values b0 | b1 << 8 of their two bytes, so a UTF-16LE line feed
// is 0x000A and a UTF-16BE one 0x0A00. They never allocate or throw (they run inside guarded()).
#pragma once

#include <cstddef>
#include <cstdint>

namespace gigapad {

// Units equal to target among the length / 2 whole units of [data, data + length).
uint64_t CountUnits(const uint8_t* data, size_t length, uint16_t target);

// Units equal to second whose unit before equals first, among the whole units of [data, data +
// length); previous is the unit before data.
uint64_t CountUnitPairs(const uint8_t* data, size_t length, uint16_t first, uint16_t second, uint16_t previous);

// Offset of the first byte of the n-th (0-based) unit equal to target, or kNotFound.
size_t FindNthUnit(const uint8_t* data, size_t length, uint64_t n, uint16_t target);

}  // namespace gigapad
