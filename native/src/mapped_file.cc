#include "mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "durable_io.h"
#include "errors.h"

namespace gigapad {

namespace {

int64_t ModifiedNanoseconds(const struct stat& info) {
#if defined(__APPLE__)
  return static_cast<int64_t>(info.st_mtimespec.tv_sec) * 1000000000 + info.st_mtimespec.tv_nsec;
#else
  return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
#endif
}

}  // namespace

std::vector<uint8_t> ReadNeedle(const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(value.Env(), "needle must be a Buffer or Uint8Array");
  }
  Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
  if (bytes.ElementLength() == 0) throw Napi::RangeError::New(value.Env(), "needle must not be empty");
  return std::vector<uint8_t>(bytes.Data(), bytes.Data() + bytes.ElementLength());
}

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

Napi::Value MappedFile::Read(const Napi::CallbackInfo& info) {
  const Mapping& mapping = Live(info.Env());
  return CopyOut(info.Env(), mapping, ReadOffset(info[0], "start"), ReadOffset(info[1], "end"));
}

// readInto(target, targetOffset, start, end): copies into a buffer the caller owns.
Napi::Value MappedFile::ReadInto(const Napi::CallbackInfo& info) {
  const Mapping& mapping = Live(info.Env());
  CopyInto(info.Env(), mapping, ReadOffset(info[2], "start"), ReadOffset(info[3], "end"), info[0],
           ReadOffset(info[1], "targetOffset"));
  return info.Env().Undefined();
}

// copyTo(fd, outOffset, start, end): copies [start, end) of the file into fd at outOffset,
// kernel-side (copy_file_range, falling back to read/write). A short copy means the file shrank
// under us: ETRUNCATED.
Napi::Value MappedFile::CopyTo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Mapping& mapping = Live(env);
  return CopyRangeTo(info, mapping.fd, mapping.size, path_);
}

Napi::Value MappedFile::CountNewlines(const Napi::CallbackInfo& info) {
  const Mapping& mapping = Live(info.Env());
  uint64_t count =
      CountNewlinesIn(info.Env(), mapping, ReadOffset(info[0], "start"), ReadOffset(info[1], "end"));
  return Napi::Number::New(info.Env(), static_cast<double>(count));
}

// countChunks(chunkSize, firstChunk, endChunk) → Uint32Array of the LF counts of chunks
// [firstChunk, endChunk) of chunkSize bytes (a bulk scan: pread on all cores, see ScanSettings).
Napi::Value MappedFile::CountChunks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Mapping& mapping = Live(env);
  uint64_t chunk_size = ReadOffset(info[0], "chunkSize");
  if (chunk_size == 0 || chunk_size > (1u << 30)) throw Napi::RangeError::New(env, "chunkSize must be in 1..2^30");
  std::vector<uint32_t> counts =
      CountChunksIn(env, mapping, chunk_size, ReadOffset(info[1], "firstChunk"), ReadOffset(info[2], "endChunk"));
  Napi::Uint32Array result = Napi::Uint32Array::New(env, counts.size());
  if (!counts.empty()) std::memcpy(result.Data(), counts.data(), counts.size() * sizeof(uint32_t));
  return result;
}

// nthNewline(start, end, n) → offset of the n-th (0-based) LF in [start, end), or -1.
Napi::Value MappedFile::NthNewline(const Napi::CallbackInfo& info) {
  const Mapping& mapping = Live(info.Env());
  return Napi::Number::New(info.Env(), NthNewlineIn(info.Env(), mapping, ReadOffset(info[0], "start"),
                                                    ReadOffset(info[1], "end"), ReadOffset(info[2], "n")));
}

// findAll(needle, start, end, limit?) → Float64Array of match starts (sync).
Napi::Value MappedFile::FindAll(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const Mapping& mapping = Live(env);
  std::vector<uint8_t> needle = ReadNeedle(info[0]);
  uint64_t limit = info[3].IsUndefined() ? UINT64_MAX : ReadOffset(info[3], "limit");
  std::vector<uint64_t> matches =
      FindAllIn(env, mapping, needle, ReadOffset(info[1], "start"), ReadOffset(info[2], "end"), limit);
  Napi::Float64Array result = Napi::Float64Array::New(env, matches.size());
  for (size_t i = 0; i < matches.size(); ++i) result[i] = static_cast<double>(matches[i]);
  return result;
}

// startFind(needle, start, end, limit?) → { promise: Promise<Float64Array>, cancel() }.
Napi::Value MappedFile::StartFind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  std::vector<uint8_t> needle = ReadNeedle(info[0]);
  uint64_t limit = info[3].IsUndefined() ? UINT64_MAX : ReadOffset(info[3], "limit");
  return StartFindJob(env, mapping_, std::move(needle), ReadOffset(info[1], "start"), ReadOffset(info[2], "end"),
                      limit, closing_);
}

// startChunkIndex(chunkSize, onProgress?, foreground = false) → { promise, cancel() }.
Napi::Value MappedFile::StartChunkIndex(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  uint64_t chunk_size = ReadOffset(info[0], "chunkSize");
  if (chunk_size == 0 || chunk_size > (1u << 30)) throw Napi::RangeError::New(env, "chunkSize must be in 1..2^30");
  Napi::Function on_progress = info[1].IsFunction() ? info[1].As<Napi::Function>() : Napi::Function();
  return StartChunkIndexJob(env, mapping_, chunk_size, on_progress, closing_, info[2].ToBoolean().Value());
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
