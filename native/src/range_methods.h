// The JavaScript methods MappedFile and AppendFile share over a byte range of their mapping:
// each unpacks its arguments, runs the range operation and packs the result, so the two classes
// only say which mapping (and file descriptor) a call works on.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>
#include <vector>

#include "mapping.h"

namespace gigapad {

// read(start, end) → a new Buffer.
Napi::Value RangeRead(const Napi::CallbackInfo& info, const Mapping& mapping);
// readInto(target, targetOffset, start, end): copies into a buffer the caller owns.
Napi::Value RangeReadInto(const Napi::CallbackInfo& info, const Mapping& mapping);
// copyTo(fd, outOffset, start, end) → bytes copied, kernel-side from source_fd (the file holding
// the mapping's bytes; size is how many of them are data).
Napi::Value RangeCopyTo(const Napi::CallbackInfo& info, int source_fd, uint64_t size, const std::string& path);
// countNewlines(start, end, rule = "byte") → number of line feeds (line_feeds.h).
Napi::Value RangeCountNewlines(const Napi::CallbackInfo& info, const Mapping& mapping);
// nthNewline(start, end, n, rule = "byte") → offset of the last byte of the n-th (0-based) line
// feed in [start, end), or -1.
Napi::Value RangeNthNewline(const Napi::CallbackInfo& info, const Mapping& mapping);
// findAll(needle, start, end, limit?, rule = "byte") → Float64Array of match starts (synchronous;
// under a UTF-16 rule only even ones).
Napi::Value RangeFindAll(const Napi::CallbackInfo& info, const Mapping& mapping);

// Reads a needle argument (Buffer or Uint8Array), refusing an empty one.
std::vector<uint8_t> ReadNeedle(const Napi::Value& value);
// Reads an optional limit argument: undefined means no limit.
uint64_t ReadLimit(const Napi::Value& value);
// Offsets as a Float64Array (exact up to 2^53).
Napi::Float64Array OffsetsArray(Napi::Env env, const std::vector<uint64_t>& offsets);

}  // namespace gigapad
