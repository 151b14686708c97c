#include "scan_jobs.h"

#include <fcntl.h>
#include <sys/mman.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <mutex>

#include "job_completion.h"
#include "range_scans.h"
#include "scan_settings.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

namespace gigapad {

namespace {

// How often (at most) a background job reports progress.
constexpr auto kProgressInterval = std::chrono::milliseconds(50);

// Batches of batch_bytes that cover span bytes (the last one shorter).
uint64_t BatchesOver(uint64_t span, uint64_t batch_bytes) { return (span + batch_bytes - 1) / batch_bytes; }

// Brings [from, to) of the mapping in with one call instead of a page fault per 16 pages.
void Populate(const Mapping& mapping, uint64_t from, uint64_t to) {
  AdviseRange(mapping, from, to, MADV_POPULATE_READ, PageRounding::kOutward);
}

// Lets the scanned pages of [from, to) leave our resident set (they stay in the page cache), so
// a file larger than RAM scans with flat memory.
void Release(const Mapping& mapping, uint64_t from, uint64_t to) {
  AdviseRange(mapping, from, to, MADV_DONTNEED, PageRounding::kInward);
}

class ChunkIndexJob : public PromiseJob<Napi::AsyncProgressWorker<double>> {
 public:
  ChunkIndexJob(Napi::Env env, std::shared_ptr<Mapping> mapping, uint64_t chunk_size, Napi::Function on_progress,
                std::shared_ptr<std::atomic<bool>> closing, ScanPriority priority, LineFeedRule rule)
      : PromiseJob(env, "gigapad.chunkIndex", std::move(mapping), std::move(closing)),
        priority_(priority),
        rule_(rule),
        chunk_size_(chunk_size) {
    if (!on_progress.IsEmpty()) on_progress_ = Napi::Persistent(on_progress);
    counts_.resize((mapping_->size + chunk_size_ - 1) / chunk_size_);
  }

  void Execute(const ExecutionProgress& progress) override {
    const Mapping& mapping = *mapping_;
    const bool use_pread = UsePread(mapping);
    if (use_pread) posix_fadvise(mapping.fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    const uint64_t chunks_per_batch = std::max<uint64_t>(1, ScanBatchBytes() / chunk_size_);
    const uint64_t batches = (counts_.size() + chunks_per_batch - 1) / chunks_per_batch;
    std::atomic<uint64_t> bytes_done{0};
    // Whichever worker finds the interval over reports (one at a time).
    std::mutex reporting;
    auto last_report = std::chrono::steady_clock::now();
    bool ok = RunBatches(batches, [&](uint64_t batch, ScanBuffer& buffer) {
      if (ShouldStop()) return false;
      uint64_t first_chunk = batch * chunks_per_batch;
      uint64_t end_chunk = std::min<uint64_t>(counts_.size(), first_chunk + chunks_per_batch);
      uint64_t start = first_chunk * chunk_size_;
      uint64_t end = std::min(mapping.size, end_chunk * chunk_size_);
      uint64_t crlf = 0;
      if (use_pread && BatchWantsPread(mapping, start, end - start)) {
        PrefetchAhead(mapping, start, end - start);
        int status = CountChunksPread(mapping, buffer, chunk_size_, first_chunk, end_chunk, counts_.data(), &crlf, rule_);
        crlf_pairs_.fetch_add(crlf);
        if (!outcome_.RecordReadStatus(status)) return false;
      } else {
        Populate(mapping, start, end);
        bool read_ok = CountChunksMapped(mapping, chunk_size_, first_chunk, end_chunk, counts_.data(), &crlf, rule_);
        crlf_pairs_.fetch_add(crlf);
        Release(mapping, start, end);
        if (!read_ok) {
          outcome_.Fail(JobFailure::kTruncated);
          return false;
        }
      }
      uint64_t done = bytes_done.fetch_add(end - start) + (end - start);
      if (reporting.try_lock()) {
        auto now = std::chrono::steady_clock::now();
        if (now - last_report >= kProgressInterval) {
          last_report = now;
          double value = static_cast<double>(done);
          progress.Send(&value, 1);
        }
        reporting.unlock();
      }
      return true;
    }, priority_);
    if (!ok) outcome_.Fail(JobFailure::kCancelled);
  }

  void OnProgress(const double* data, size_t count) override {
    if (count == 0 || on_progress_.IsEmpty()) return;
    // A progress callback that throws, or an environment going away, must not end the process.
    try {
      Napi::Env env = Env();
      Napi::HandleScope scope(env);
      on_progress_.Call(
          {Napi::Number::New(env, data[0]), Napi::Number::New(env, static_cast<double>(mapping_->size))});
    } catch (...) {
    }
  }

 protected:
  Napi::Value Result(Napi::Env env) override {
    Napi::Uint32Array line_feeds = Napi::Uint32Array::New(env, counts_.size());
    if (!counts_.empty()) std::memcpy(line_feeds.Data(), counts_.data(), counts_.size() * sizeof(uint32_t));
    Napi::Object result = Napi::Object::New(env);
    result.Set("lineFeeds", line_feeds);
    result.Set("crlfPairs", Napi::Number::New(env, static_cast<double>(crlf_pairs_.load())));
    return result;
  }

 private:
  ScanPriority priority_;
  LineFeedRule rule_;
  uint64_t chunk_size_;
  Napi::FunctionReference on_progress_;
  std::vector<uint32_t> counts_;
  std::atomic<uint64_t> crlf_pairs_{0};
};

class FindJob : public PromiseJob<Napi::AsyncWorker> {
 public:
  FindJob(Napi::Env env, std::shared_ptr<Mapping> mapping, std::vector<uint8_t> needle, uint64_t start,
          uint64_t end, uint64_t limit, LineFeedRule rule, std::shared_ptr<std::atomic<bool>> closing)
      : PromiseJob(env, "gigapad.find", std::move(mapping), std::move(closing)),
        needle_(std::move(needle)),
        start_(start),
        end_(end),
        limit_(limit),
        align_(UnitBytes(rule)) {}

  void Execute() override {
    const Mapping& mapping = *mapping_;
    const uint64_t span = end_ - start_;
    const uint64_t batch_bytes = ScanBatchBytes();
    const uint64_t batches = BatchesOver(span, batch_bytes);
    const uint64_t overlap = needle_.size() - 1;
    const bool use_pread = UsePread(mapping) && PreadFits(needle_);
    if (use_pread) posix_fadvise(mapping.fd, static_cast<off_t>(start_), static_cast<off_t>(span), POSIX_FADV_SEQUENTIAL);
    std::vector<std::vector<uint64_t>> found(batches);
    bool ok = RunBatches(batches, [&](uint64_t batch, ScanBuffer& buffer) {
      if (ShouldStop()) return false;
      uint64_t from = start_ + batch * batch_bytes;
      uint64_t to = std::min(end_, from + batch_bytes);
      // A match starting in this batch may end up to needle length - 1 bytes past it.
      uint64_t scan_end = std::min(end_, to + overlap);
      if (use_pread && BatchWantsPread(mapping, from, to - from)) {
        PrefetchAhead(mapping, from, to - from);
        return outcome_.RecordReadStatus(
            FindMatchesPread(mapping, buffer, needle_, from, to, scan_end, limit_, found[batch], align_));
      }
      Populate(mapping, from, scan_end);
      bool read_ok = FindMatches(mapping, needle_, from, to, scan_end, limit_, found[batch], align_);
      Release(mapping, from, to);
      if (!read_ok) outcome_.Fail(JobFailure::kTruncated);
      return read_ok;
    });
    if (!ok) {
      outcome_.Fail(JobFailure::kCancelled);
      return;
    }
    // Merge in order. A batch scanned greedily from its own first byte can disagree with the
    // global leftmost-greedy answer only if its first match overlaps the previous batch's last
    // one (a self-overlapping needle); then that batch is rescanned from the previous match end.
    uint64_t previous_end = start_;
    for (uint64_t batch = 0; batch < batches && results_.size() < limit_; ++batch) {
      std::vector<uint64_t>& matches = found[batch];
      if (!matches.empty() && matches.front() < previous_end) {
        uint64_t to = std::min(end_, start_ + (batch + 1) * batch_bytes);
        uint64_t scan_end = std::min(end_, to + overlap);
        matches.clear();
        if (use_pread) {
          ScanBuffer buffer;
          if (!outcome_.RecordReadStatus(
                  FindMatchesPread(mapping, buffer, needle_, previous_end, to, scan_end, limit_, matches, align_))) {
            return;
          }
        } else if (!FindMatches(mapping, needle_, previous_end, to, scan_end, limit_, matches, align_)) {
          outcome_.Fail(JobFailure::kTruncated);
          return;
        }
      }
      for (uint64_t match : matches) {
        if (results_.size() >= limit_) break;
        results_.push_back(match);
        previous_end = match + needle_.size();
      }
    }
  }

 protected:
  Napi::Value Result(Napi::Env env) override {
    Napi::Float64Array result = Napi::Float64Array::New(env, results_.size());
    for (size_t i = 0; i < results_.size(); ++i) result[i] = static_cast<double>(results_[i]);
    return result;
  }

 private:
  std::vector<uint8_t> needle_;
  uint64_t start_, end_, limit_;
  // Match starts must be multiples of this (2 under a UTF-16 rule).
  uint64_t align_;
  std::vector<uint64_t> results_;
};

class FindLinesJob : public PromiseJob<Napi::AsyncWorker> {
 public:
  FindLinesJob(Napi::Env env, std::shared_ptr<Mapping> mapping, std::vector<uint8_t> needle, uint64_t start,
               uint64_t end, uint64_t floor, uint64_t ceiling, std::shared_ptr<std::atomic<bool>> closing)
      : PromiseJob(env, "gigapad.findLines", std::move(mapping), std::move(closing)),
        needle_(std::move(needle)),
        start_(start),
        end_(end),
        floor_(floor),
        ceiling_(ceiling) {}

  void Execute() override {
    const Mapping& mapping = *mapping_;
    const uint64_t batch_bytes = ScanBatchBytes();
    const uint64_t batches = BatchesOver(end_ - start_, batch_bytes);
    const uint64_t overlap = needle_.size() - 1;
    const bool may_pread = UsePread(mapping);
    found_spans_.resize(batches);
    found_bytes_.resize(batches);
    bool ok = RunBatches(batches, [&](uint64_t batch, ScanBuffer&) {
      if (ShouldStop()) return false;
      uint64_t from = start_ + batch * batch_bytes;
      uint64_t to = std::min(end_, from + batch_bytes);
      uint64_t scan_end = std::min(ceiling_, to + overlap);
      // Lines are read through the mapping; a batch not in the page cache is read ahead first
      // (the mapping is MADV_RANDOM and would fault it in a page at a time).
      if (may_pread && BatchWantsPread(mapping, from, to - from)) {
        posix_fadvise(mapping.fd, static_cast<off_t>(from), static_cast<off_t>(scan_end - from), POSIX_FADV_WILLNEED);
        PrefetchAhead(mapping, from, to - from);
      }
      Populate(mapping, from, scan_end);
      bool read_ok = FindLines(mapping, needle_, from, to, scan_end, floor_, ceiling_, found_spans_[batch],
                               found_bytes_[batch]);
      Release(mapping, from, to);
      if (!read_ok) outcome_.Fail(JobFailure::kTruncated);
      return read_ok;
    });
    if (!ok) outcome_.Fail(JobFailure::kCancelled);
  }

 protected:
  // Joins the batches' lines: a line reaching over a batch edge, with matches on both sides, was
  // found by both batches (whole each time) and is kept once. The rest of a batch's bytes go in
  // one block.
  Napi::Value Result(Napi::Env env) override {
    std::vector<uint64_t> spans;
    struct Block {
      const uint8_t* data;
      uint64_t length;
    };
    std::vector<Block> blocks;
    uint64_t total = 0;
    for (size_t batch = 0; batch < found_spans_.size(); ++batch) {
      const std::vector<uint64_t>& found = found_spans_[batch];
      if (found.empty()) continue;
      size_t first = 0;
      uint64_t skip = 0;
      if (!spans.empty() && found[0] < spans.back()) {
        skip = std::min(found[1], spans.back()) - found[0];
        spans.back() = std::max(spans.back(), found[1]);
        first = 2;
      }
      spans.insert(spans.end(), found.begin() + static_cast<std::ptrdiff_t>(first), found.end());
      const uint64_t length = found_bytes_[batch].size() - skip;
      if (length > 0) {
        blocks.push_back({found_bytes_[batch].data() + skip, length});
        total += length;
      }
    }
    Napi::Buffer<uint8_t> joined = Napi::Buffer<uint8_t>::New(env, total);
    uint8_t* target = joined.Data();
    for (const Block& block : blocks) {
      std::memcpy(target, block.data, block.length);
      target += block.length;
    }
    Napi::Object result = Napi::Object::New(env);
    Napi::Float64Array span_array = Napi::Float64Array::New(env, spans.size());
    for (size_t i = 0; i < spans.size(); ++i) span_array[i] = static_cast<double>(spans[i]);
    result.Set("spans", span_array);
    result.Set("bytes", joined);
    return result;
  }

 private:
  std::vector<uint8_t> needle_;
  uint64_t start_, end_, floor_, ceiling_;
  std::vector<std::vector<uint64_t>> found_spans_;
  std::vector<std::vector<uint8_t>> found_bytes_;
};

}  // namespace

Napi::Value StartChunkIndexJob(Napi::Env env, std::shared_ptr<Mapping> mapping, uint64_t chunk_size,
                               Napi::Function on_progress, std::shared_ptr<std::atomic<bool>> closing,
                               ScanPriority priority, LineFeedRule rule) {
  auto* job =
      new ChunkIndexJob(env, std::move(mapping), chunk_size, on_progress, std::move(closing), priority, rule);
  return job->Start(env);
}

Napi::Value StartFindJob(Napi::Env env, std::shared_ptr<Mapping> mapping, std::vector<uint8_t> needle,
                         uint64_t start, uint64_t end, uint64_t limit, LineFeedRule rule,
                         std::shared_ptr<std::atomic<bool>> closing) {
  CheckRange(env, start, end, mapping->size);
  auto* job = new FindJob(env, std::move(mapping), std::move(needle), start, end, limit, rule, std::move(closing));
  return job->Start(env);
}

Napi::Value StartFindLinesJob(Napi::Env env, std::shared_ptr<Mapping> mapping, std::vector<uint8_t> needle,
                              uint64_t start, uint64_t end, uint64_t floor, uint64_t ceiling,
                              std::shared_ptr<std::atomic<bool>> closing) {
  CheckRange(env, start, end, mapping->size);
  CheckRange(env, floor, ceiling, mapping->size);
  if (floor > start || end > ceiling) {
    throw Napi::RangeError::New(env, "lines must be looked for around the range: floor <= start and end <= ceiling");
  }
  auto* job = new FindLinesJob(env, std::move(mapping), std::move(needle), start, end, floor, ceiling,
                               std::move(closing));
  return job->Start(env);
}

}  // namespace gigapad
