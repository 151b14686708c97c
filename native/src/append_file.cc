#include "append_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "durable_io.h"
#include "errors.h"
#include "range_methods.h"
#include "sigbus_guard.h"

namespace gigapad {

namespace {

// Capacity grows in whole steps of this size...
constexpr uint64_t kGrowthGranule = 1ull << 20;
// ...doubling, but by at most this much at a time.
constexpr uint64_t kMaxGrowthStep = 1ull << 30;

uint64_t RoundUp(uint64_t value, uint64_t granule) { return (value + granule - 1) / granule * granule; }

}  // namespace

Napi::Function AppendFile::Define(Napi::Env env) {
  return DefineClass(env, "AppendFile",
                     {
                         InstanceAccessor<&AppendFile::Length>("length"),
                         InstanceAccessor<&AppendFile::Capacity>("capacity"),
                         InstanceAccessor<&AppendFile::Path>("path"),
                         InstanceMethod<&AppendFile::Append>("append"),
                         InstanceMethod<&AppendFile::Read>("read"),
                         InstanceMethod<&AppendFile::ReadInto>("readInto"),
                         InstanceMethod<&AppendFile::CopyTo>("copyTo"),
                         InstanceMethod<&AppendFile::CountNewlines>("countNewlines"),
                         InstanceMethod<&AppendFile::NthNewline>("nthNewline"),
                         InstanceMethod<&AppendFile::FindAll>("findAll"),
                         InstanceMethod<&AppendFile::Sync>("sync"),
                         InstanceMethod<&AppendFile::Close>("close"),
                     });
}

// new AppendFile(path, length = 0): opens or creates the file; `length` bytes at its start are
// data (the committed length a session recorded); anything after them is free space.
AppendFile::AppendFile(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AppendFile>(info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  path_ = info[0].As<Napi::String>().Utf8Value();
  length_ = info[1].IsUndefined() ? 0 : ReadOffset(info[1], "length");
  synced_length_ = length_;

  fd_ = open(path_.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd_ < 0) throw ErrnoError(env, errno, "open", "cannot open add buffer", path_);
  struct stat status;
  if (fstat(fd_, &status) != 0 || !S_ISREG(status.st_mode)) {
    int error = S_ISDIR(status.st_mode) ? EISDIR : errno;
    close(fd_);
    fd_ = -1;
    throw ErrnoError(env, error, "fstat", "cannot use add buffer", path_);
  }
  uint64_t file_size = static_cast<uint64_t>(status.st_size);
  if (length_ > file_size) {
    close(fd_);
    fd_ = -1;
    Napi::Error error = Napi::Error::New(env, "add buffer " + path_ + " holds " + std::to_string(file_size) +
                                                  " bytes, fewer than its committed length " +
                                                  std::to_string(length_));
    error.Set("code", Napi::String::New(env, "ECORRUPT"));
    throw error;
  }
  uint64_t capacity = std::max(RoundUp(std::max(file_size, length_), kGrowthGranule), kGrowthGranule);
  if (capacity > file_size) {
    int error = AllocateFileSpace(fd_, file_size, capacity - file_size);
    if (error != 0) {
      close(fd_);
      fd_ = -1;
      throw ErrnoError(env, error, "fallocate", "cannot grow add buffer", path_);
    }
  }
  void* base = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (base == MAP_FAILED) {
    int error = errno;
    close(fd_);
    fd_ = -1;
    throw ErrnoError(env, error, "mmap", "cannot map add buffer", path_);
  }
  base_ = static_cast<uint8_t*>(base);
  capacity_ = capacity;
}

AppendFile::~AppendFile() { Unmap(); }

void AppendFile::Unmap() {
  if (base_ != nullptr) {
    munmap(base_, capacity_);
    base_ = nullptr;
  }
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

void AppendFile::CheckUsable(Napi::Env env) const {
  if (fd_ < 0) {
    Napi::Error error = Napi::Error::New(env, "add buffer is closed: " + path_);
    error.Set("code", Napi::String::New(env, "ECLOSED"));
    throw error;
  }
  if (!failure_.empty()) {
    Napi::Error error = Napi::Error::New(env, "add buffer " + path_ + " is unusable after a failed sync (" +
                                                  failure_ + "); its committed data is still on disk");
    error.Set("code", Napi::String::New(env, "EIO"));
    throw error;
  }
}

// Makes room for `needed` bytes: preallocate the new space first, then remap. A failure leaves
// the buffer as it was (the file may have grown, which is harmless: it is free space).
void AppendFile::Grow(Napi::Env env, uint64_t needed) {
  uint64_t step = std::min(std::max(capacity_, kGrowthGranule), kMaxGrowthStep);
  uint64_t capacity = RoundUp(std::max(needed, capacity_ + step), kGrowthGranule);
  int error = AllocateFileSpace(fd_, capacity_, capacity - capacity_);
  if (error != 0) throw ErrnoError(env, error, "fallocate", "cannot grow add buffer", path_);
#if defined(__linux__)
  void* base = mremap(base_, capacity_, capacity, MREMAP_MAYMOVE);
  if (base == MAP_FAILED) throw ErrnoError(env, errno, "mremap", "cannot remap add buffer", path_);
#else
  // No mremap: make the dirty pages durable-ordered the same way, then map anew.
  msync(base_, capacity_, MS_ASYNC);
  void* base = mmap(nullptr, capacity, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  if (base == MAP_FAILED) throw ErrnoError(env, errno, "mmap", "cannot remap add buffer", path_);
  munmap(base_, capacity_);
#endif
  base_ = static_cast<uint8_t*>(base);
  capacity_ = capacity;
}

Mapping AppendFile::View() const {
  Mapping view;
  view.owns_mapping = false;
  view.path = path_;
  view.base = base_;
  view.size = length_;
  return view;
}

Napi::Value AppendFile::Length(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(length_));
}

Napi::Value AppendFile::Capacity(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(capacity_));
}

Napi::Value AppendFile::Path(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), path_); }

// append(bytes) → the offset the bytes now start at.
Napi::Value AppendFile::Append(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "append takes a Buffer or Uint8Array");
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  uint64_t count = bytes.ElementLength();
  uint64_t offset = length_;
  if (offset + count > capacity_) Grow(env, offset + count);
  if (count > 0) {
    uint8_t* target = base_ + offset;
    const uint8_t* source = bytes.Data();
    if (!guarded([&] { std::memcpy(target, source, count); })) throw TruncatedError(env, path_);
  }
  length_ = offset + count;
  return Napi::Number::New(env, static_cast<double>(offset));
}

Napi::Value AppendFile::Read(const Napi::CallbackInfo& info) {
  CheckUsable(info.Env());
  return RangeRead(info, View());
}

Napi::Value AppendFile::ReadInto(const Napi::CallbackInfo& info) {
  CheckUsable(info.Env());
  return RangeReadInto(info, View());
}

// copyTo(fd, outOffset, start, end): writes [start, end) of the buffer into fd at outOffset,
// kernel-side through the buffer's descriptor: bytes written through the shared mapping are in the
// page cache, so the kernel sees them (and a write straight from the mapping could fault inside
// the kernel, where the SIGBUS guard cannot catch it).
Napi::Value AppendFile::CopyTo(const Napi::CallbackInfo& info) {
  CheckUsable(info.Env());
  return RangeCopyTo(info, fd_, length_, path_);
}

Napi::Value AppendFile::CountNewlines(const Napi::CallbackInfo& info) {
  CheckUsable(info.Env());
  return RangeCountNewlines(info, View());
}

Napi::Value AppendFile::NthNewline(const Napi::CallbackInfo& info) {
  CheckUsable(info.Env());
  return RangeNthNewline(info, View());
}

Napi::Value AppendFile::FindAll(const Napi::CallbackInfo& info) {
  CheckUsable(info.Env());
  return RangeFindAll(info, View());
}

// sync(): the appended bytes reach stable storage — msync(MS_SYNC) of the pages written since
// the last sync, then a data sync of the file (F_FULLFSYNC on macOS). Only after this returns
// may a record that refers to those bytes be written (phase 1 of a commit).
Napi::Value AppendFile::Sync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  CheckUsable(env);
  if (synced_length_ < length_) {
    uint64_t page = PageSize();
    uint64_t from = synced_length_ / page * page;
    if (msync(base_ + from, length_ - from, MS_SYNC) != 0) {
      int error = errno;
      failure_ = std::string("msync: ") + std::strerror(error);
      throw ErrnoError(env, error, "msync", "cannot sync add buffer", path_);
    }
  }
  int error = DataSync(fd_);
  if (error != 0) {
    failure_ = std::string("fdatasync: ") + std::strerror(error);
    throw ErrnoError(env, error, "fdatasync", "cannot sync add buffer", path_);
  }
  synced_length_ = length_;
  return env.Undefined();
}

// close(): unmaps and closes. It does not sync: durability is what sync() (a commit) promises;
// the written bytes stay in the page cache for the next open either way. Idempotent.
Napi::Value AppendFile::Close(const Napi::CallbackInfo& info) {
  Unmap();
  return info.Env().Undefined();
}

}  // namespace gigapad
