// The background jobs over a mapping (startChunkIndex, startFind, startFindLines): each scans on
// the scanning threads (scan_pool.h) and settles a promise; each returns { promise, cancel }.
#pragma once

#include <napi.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "line_feeds.h"
#include "mapping.h"
#include "scan_pool.h"

namespace gigapad {

// Chunk line index: resolves to { lineFeeds: Uint32Array (line feed count, by rule, per chunk_size
// bytes of [0, size)), crlfPairs: number (CRLF pairs in the whole file) }, reporting progress as
// on_progress(bytesDone, bytesTotal). kForeground when the caller waits for nothing else
// (gigapad info); kBackground keeps the editor's threads ahead of it.
Napi::Value StartChunkIndexJob(Napi::Env env, std::shared_ptr<Mapping> mapping, uint64_t chunk_size,
                               Napi::Function on_progress, std::shared_ptr<std::atomic<bool>> closing,
                               ScanPriority priority, LineFeedRule rule);

// Literal search: like FindAllIn, but in parallel; resolves to a Float64Array of match starts.
Napi::Value StartFindJob(Napi::Env env, std::shared_ptr<Mapping> mapping, std::vector<uint8_t> needle,
                         uint64_t start, uint64_t end, uint64_t limit, LineFeedRule rule,
                         std::shared_ptr<std::atomic<bool>> closing);

// The lines holding a match of needle that starts in [start, end), a line reaching at most from
// floor to ceiling (FindLines), in parallel; resolves to { spans: Float64Array (start, end pairs,
// in order, disjoint), bytes: Buffer (the lines' bytes, one after the other) }.
Napi::Value StartFindLinesJob(Napi::Env env, std::shared_ptr<Mapping> mapping, std::vector<uint8_t> needle,
                              uint64_t start, uint64_t end, uint64_t floor, uint64_t ceiling,
                              std::shared_ptr<std::atomic<bool>> closing);

}  // namespace gigapad
