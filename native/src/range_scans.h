// The scans over a byte range of a mapping that run on scanning threads: newline counts per
// chunk or per span and literal search, each reading either through the mapping (under the
// SIGBUS guard) or with pread into a thread's buffer. They never touch JavaScript; they report
// what happened as a read status (or false for SIGBUS) for the caller to turn into an error.
#pragma once

#include <cstdint>
#include <vector>

#include "line_feeds.h"
#include "mapping.h"
#include "scan_pool.h"

namespace gigapad {

// What a pread scan of a batch came to: kReadOk, kShortRead (the file ended early: it was
// truncated, as SIGBUS says for the mapping), or an errno.
constexpr int kReadOk = 0;
constexpr int kShortRead = -1;

// Reads exactly [offset, offset + length) of fd into out.
int ReadFully(int fd, uint8_t* out, uint64_t offset, uint64_t length);

// Counts line feeds (by rule; chunk_size is even for UTF-16) of chunks [first_chunk, end_chunk)
// of [0, mapping.size) into counts[chunk] (and their CRLF pairs into *crlf, if given), reading
// with pread through buffer. A CRLF pair split across the batch's first unit is counted here (the
// unit before is read when it matters).
int CountChunksPread(const Mapping& mapping, ScanBuffer& buffer, uint64_t chunk_size, uint64_t first_chunk,
                     uint64_t end_chunk, uint32_t* counts, uint64_t* crlf, LineFeedRule rule);

// Counts line feeds of chunks [first_chunk, end_chunk) through the mapping. Returns false on SIGBUS.
bool CountChunksMapped(const Mapping& mapping, uint64_t chunk_size, uint64_t first_chunk, uint64_t end_chunk,
                       uint32_t* counts, uint64_t* crlf, LineFeedRule rule);

// Counts line feeds in [start, end) (start a unit's start) with pread through buffer into *count.
int CountSpanPread(const Mapping& mapping, ScanBuffer& buffer, uint64_t start, uint64_t end, uint64_t* count,
                   LineFeedRule rule);

// Greedy leftmost non-overlapping matches of needle among candidate starts [from, to) that are
// multiples of align (1, or 2 in UTF-16: a byte match at an odd offset is no match), reading at
// most up to scan_end. Appends to out; stops at limit. Returns false on SIGBUS.
bool FindMatches(const Mapping& mapping, const std::vector<uint8_t>& needle, uint64_t from, uint64_t to,
                 uint64_t scan_end, uint64_t limit, std::vector<uint64_t>& out, uint64_t align);

// FindMatches with pread: each read covers needle length - 1 bytes more than the starts it
// settles, so a match across the buffer's edge is found whole; the next read starts where the
// last match ended or at the first unsettled start. Needs PreadFits(needle).
int FindMatchesPread(const Mapping& mapping, ScanBuffer& buffer, const std::vector<uint8_t>& needle, uint64_t from,
                     uint64_t to, uint64_t scan_end, uint64_t limit, std::vector<uint64_t>& out, uint64_t align);

// Whether a pread search of needle fits the scan buffers (else the mapping is read): a read
// must settle at least one start past the up to 4095 bytes of alignment and the overlap.
bool PreadFits(const std::vector<uint8_t>& needle);

// Lines holding a match of needle, for a regex prefilter: each match starting in [from, to)
// (reading up to scan_end) adds the line around it — from just after the LF before the match, or
// floor, through the LF after its end, or ceiling — once, in order, to spans (start, end pairs)
// and its bytes to bytes. Lines are searched for whole, so a search resumes at the next line.
// Reads through the mapping. Returns false on SIGBUS.
bool FindLines(const Mapping& mapping, const std::vector<uint8_t>& needle, uint64_t from, uint64_t to,
               uint64_t scan_end, uint64_t floor, uint64_t ceiling, std::vector<uint64_t>& spans,
               std::vector<uint8_t>& bytes);

// Asks the kernel to start reading the batch that comes ScanThreadCount() batches after the one
// at start (the next one this thread is likely to take). The scan threads read interleaved
// batches, which the kernel's read-ahead does not see as one sequential stream: on a file not in
// the page cache, each pread would otherwise wait for its own small reads.
void PrefetchAhead(const Mapping& mapping, uint64_t start, uint64_t length);

}  // namespace gigapad
