// The synchronous operations over a byte range of a mapping, as MappedFile and AppendFile offer
// them: copy out, newline counts, literal search, madvise. Each checks its range and throws the
// JavaScript error a failure stands for (ETRUNCATED on SIGBUS or a short read).
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "line_feeds.h"
#include "mapping.h"

namespace gigapad {

// Throws a RangeError unless chunk_size is a whole number of the rule's units.
void CheckChunkSize(Napi::Env env, uint64_t chunk_size, LineFeedRule rule);

// Copies [start, end) into a new Buffer.
Napi::Value CopyOut(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end);

// Copies [start, end) into target at target_offset (a Uint8Array the caller owns). Throws a
// RangeError if it does not fit.
void CopyInto(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end, const Napi::Value& target,
              uint64_t target_offset);

// Copies [start, end) of a file of `size` bytes open as source_fd into out_fd at out_offset,
// kernel-side with copy_file_range (the page cache holds what was written through a mapping). A
// short copy means the file shrank under us: ETRUNCATED. Returns the bytes copied.
uint64_t CopyRangeTo(Napi::Env env, int source_fd, uint64_t size, const std::string& path, int out_fd,
                     uint64_t out_offset, uint64_t start, uint64_t end);

// Line feeds (by rule) whose last byte lies in [start, end), synchronously (on all cores for a
// long range). A UTF-16 range is read from the start of the unit holding start.
uint64_t CountNewlinesIn(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end, LineFeedRule rule);

// Offset of the last byte of the n-th (0-based) line feed (by rule) in [start, end), or -1.
double NthNewlineIn(Napi::Env env, const Mapping& mapping, uint64_t start, uint64_t end, uint64_t n,
                    LineFeedRule rule);

// Starts of the non-overlapping occurrences of needle in [start, end), leftmost first, at most
// limit of them, synchronously; under a UTF-16 rule only those at even offsets.
std::vector<uint64_t> FindAllIn(Napi::Env env, const Mapping& mapping, const std::vector<uint8_t>& needle,
                                uint64_t start, uint64_t end, uint64_t limit, LineFeedRule rule);

// madvise hints: "sequential" | "random" | "normal" | "willneed" | "dontneed" over a range.
void Advise(Napi::Env env, const Mapping& mapping, const std::string& mode, uint64_t start, uint64_t end);

// Line feed counts (by rule) of chunks [first_chunk, end_chunk) of chunk_size bytes (the last one
// clipped to the mapping's size), on all cores, synchronously.
std::vector<uint32_t> CountChunksIn(Napi::Env env, const Mapping& mapping, uint64_t chunk_size,
                                    uint64_t first_chunk, uint64_t end_chunk, LineFeedRule rule);

}  // namespace gigapad
