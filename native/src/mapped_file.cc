#include "mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "errors.h"
#include "range_methods.h"
#include "range_operations.h"
#include "scan_jobs.h"

namespace gigapad {

namespace {

int64_t ModifiedNanoseconds(const struct stat& info) {
#if defined(__APPLE__)
  return static_cast<int64_t>(info.st_mtimespec.tv_sec) * 1000000000 + info.st_mtimespec.tv_nsec;
#else
  return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
#endif
}

// Reads a chunk size argument: 1..2^30 bytes.
uint64_t ReadChunkSize(const Napi::Value& value) {
  uint64_t chunk_size = ReadOffset(value, "chunkSize");
  if (chunk_size == 0 || chunk_size > (1u << 30)) throw Napi::RangeError::New(value.Env(), "chunkSize must be in 1..2^30");
  return chunk_size;
}

}  // namespace

Napi::Function MappedFile::Define(Napi::Env env) {
  return DefineClass(env, "MappedFile",
                     {
                         InstanceAccessor<&MappedFile::Size>("size"),
                         InstanceAccessor<&MappedFile::Path>("path"),
                         InstanceAccessor<&MappedFile::Identity>("identity"),
                         InstanceAccessor<&MappedFile::IsClosed>("closed"),
                         InstanceMethod<&MappedFile::Read>("read"),
                         InstanceMethod<&MappedFile::ReadInto>("readInto"),
                         InstanceMethod<&MappedFile::CopyTo>("copyTo"),
                         InstanceMethod<&MappedFile::CountNewlines>("countNewlines"),
                         InstanceMethod<&MappedFile::CountChunks>("countChunks"),
                         InstanceMethod<&MappedFile::NthNewline>("nthNewline"),
                         InstanceMethod<&MappedFile::FindAll>("findAll"),
                         InstanceMethod<&MappedFile::StartFind>("startFind"),
                         InstanceMethod<&MappedFile::StartFindLines>("startFindLines"),
                         InstanceMethod<&MappedFile::StartChunkIndex>("startChunkIndex"),
                         InstanceMethod<&MappedFile::Advise>("advise"),
                         InstanceMethod<&MappedFile::Close>("close"),
                     });
}

// new MappedFile(path): opens and maps the file read-only, or throws an errno error.
MappedFile::MappedFile(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MappedFile>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  path_ = info[0].As<Napi::String>().Utf8Value();
  closing_ = std::make_shared<std::atomic<bool>>(false);

  int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw ErrnoError(env, errno, "open", "cannot open", path_);
  auto mapping = std::make_shared<Mapping>();
  mapping->fd = fd;  // closed by ~Mapping from here on
  mapping->path = path_;
  struct stat status;
  if (fstat(fd, &status) != 0) throw ErrnoError(env, errno, "fstat", "cannot stat", path_);
  if (S_ISDIR(status.st_mode)) throw ErrnoError(env, EISDIR, "open", "cannot open", path_);
  if (!S_ISREG(status.st_mode)) {
    Napi::Error error = Napi::Error::New(env, "cannot open " + path_ + ": not a regular file");
    error.Set("code", Napi::String::New(env, "ENOTREG"));
    error.Set("path", Napi::String::New(env, path_));
    throw error;
  }
  dev_ = static_cast<uint64_t>(status.st_dev);
  ino_ = static_cast<uint64_t>(status.st_ino);
  size_ = static_cast<uint64_t>(status.st_size);
  mtime_ns_ = ModifiedNanoseconds(status);
  mapping->size = size_;
  if (size_ > 0) {
    void* base = mmap(nullptr, size_, PROT_READ, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) throw ErrnoError(env, errno, "mmap", "cannot map", path_);
    mapping->base = static_cast<uint8_t*>(base);
    // Editing reads are scattered; scans ask for read-ahead themselves.
    madvise(base, size_, MADV_RANDOM);
  }
  mapping_ = std::move(mapping);
}

MappedFile::~MappedFile() {
  if (closing_) closing_->store(true);
}

const Mapping& MappedFile::Live(Napi::Env env) const {
  if (!mapping_) {
    Napi::Error error = Napi::Error::New(env, "file is closed: " + path_);
    error.Set("code", Napi::String::New(env, "ECLOSED"));
    throw error;
  }
  return *mapping_;
}

Napi::Value MappedFile::Size(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(size_));
}

Napi::Value MappedFile::Path(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), path_); }

// { dev, ino, size, mtimeNs } as of open; dev, ino and mtimeNs are BigInts.
Napi::Value MappedFile::Identity(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object identity = Napi::Object::New(env);
  identity.Set("dev", Napi::BigInt::New(env, dev_));
  identity.Set("ino", Napi::BigInt::New(env, ino_));
  identity.Set("size", Napi::Number::New(env, static_cast<double>(size_)));
  identity.Set("mtimeNs", Napi::BigInt::New(env, mtime_ns_));
  return identity;
}

Napi::Value MappedFile::IsClosed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !mapping_);
}

Napi::Value MappedFile::Read(const Napi::CallbackInfo& info) { return RangeRead(info, Live(info.Env())); }

Napi::Value MappedFile::ReadInto(const Napi::CallbackInfo& info) { return RangeReadInto(info, Live(info.Env())); }

// copyTo(fd, outOffset, start, end): kernel-side (copy_file_range, falling back to read/write).
Napi::Value MappedFile::CopyTo(const Napi::CallbackInfo& info) {
  const Mapping& mapping = Live(info.Env());
  return RangeCopyTo(info, mapping.fd, mapping.size, path_);
}

Napi::Value MappedFile::CountNewlines(const Napi::CallbackInfo& info) {
  return RangeCountNewlines(info, Live(info.Env()));
}

Napi::Value MappedFile::NthNewline(const Napi::CallbackInfo& info) { return RangeNthNewline(info, Live(info.Env())); }

Napi::Value MappedFile::FindAll(const Napi::CallbackInfo& info) { return RangeFindAll(info, Live(info.Env())); }

// countChunks(chunkSize, firstChunk, endChunk, rule = "byte") → Uint32Array of the LF counts of chunks
// [firstChunk, endChunk) of chunkSize bytes (a bulk scan on all cores, see ScanSettings).
Napi::Value MappedFile::CountChunks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Mapping& mapping = Live(env);
  uint64_t chunk_size = ReadChunkSize(info[0]);
  std::vector<uint32_t> counts =
      CountChunksIn(env, mapping, chunk_size, ReadOffset(info[1], "firstChunk"), ReadOffset(info[2], "endChunk"),
                    ReadLineFeedRule(info[3]));
  Napi::Uint32Array result = Napi::Uint32Array::New(env, counts.size());
  if (!counts.empty()) std::memcpy(result.Data(), counts.data(), counts.size() * sizeof(uint32_t));
  return result;
}

// startFind(needle, start, end, limit?, rule = "byte") → { promise: Promise<Float64Array>, cancel() }
// (under a UTF-16 rule, only matches at even offsets).
Napi::Value MappedFile::StartFind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  std::vector<uint8_t> needle = ReadNeedle(info[0]);
  return StartFindJob(env, mapping_, std::move(needle), ReadOffset(info[1], "start"), ReadOffset(info[2], "end"),
                      ReadLimit(info[3]), ReadLineFeedRule(info[4]), closing_);
}

// startFindLines(needle, start, end, floor = start, ceiling = end) → { promise: Promise<{ spans,
// bytes }>, cancel() }: the lines holding a match that starts in [start, end), each reaching at
// most back to floor and on to ceiling.
Napi::Value MappedFile::StartFindLines(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  std::vector<uint8_t> needle = ReadNeedle(info[0]);
  uint64_t start = ReadOffset(info[1], "start");
  uint64_t end = ReadOffset(info[2], "end");
  uint64_t floor = info[3].IsUndefined() ? start : ReadOffset(info[3], "floor");
  uint64_t ceiling = info[4].IsUndefined() ? end : ReadOffset(info[4], "ceiling");
  return StartFindLinesJob(env, mapping_, std::move(needle), start, end, floor, ceiling, closing_);
}

// startChunkIndex(chunkSize, onProgress?, foreground = false, rule = "byte") → { promise, cancel() }.
Napi::Value MappedFile::StartChunkIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  uint64_t chunk_size = ReadChunkSize(info[0]);
  Napi::Function on_progress = info[1].IsFunction() ? info[1].As<Napi::Function>() : Napi::Function();
  ScanPriority priority = info[2].ToBoolean().Value() ? ScanPriority::kForeground : ScanPriority::kBackground;
  LineFeedRule rule = ReadLineFeedRule(info[3]);
  CheckChunkSize(env, chunk_size, rule);
  return StartChunkIndexJob(env, mapping_, chunk_size, on_progress, closing_, priority, rule);
}

// advise(mode, start = 0, end = size)
Napi::Value MappedFile::Advise(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Mapping& mapping = Live(env);
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "advice must be a string");
  uint64_t start = info[1].IsUndefined() ? 0 : ReadOffset(info[1], "start");
  uint64_t end = info[2].IsUndefined() ? mapping.size : ReadOffset(info[2], "end");
  gigapad::Advise(env, mapping, info[0].As<Napi::String>().Utf8Value(), start, end);
  return env.Undefined();
}

// close(): unmaps now unless a background job still runs; that job stops at its next batch
// and the mapping goes when it does. Idempotent.
Napi::Value MappedFile::Close(const Napi::CallbackInfo& info) {
  closing_->store(true);
  mapping_.reset();
  return info.Env().Undefined();
}

}  // namespace gigapad
