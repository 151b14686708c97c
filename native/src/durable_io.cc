#include "durable_io.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/statvfs.h>
#include <sys/types.h>
#include <unistd.h>

#if defined(__linux__)
#include <sys/xattr.h>
#elif defined(__APPLE__)
#include <sys/xattr.h>
#endif

#include <algorithm>
#include <cerrno>
#include <string>
#include <vector>

#include "errors.h"

namespace gigapad {

namespace {

#if defined(__APPLE__)
constexpr int kNoAttribute = ENOATTR;
#else
constexpr int kNoAttribute = ENODATA;
#endif

// Fallback copies go through a buffer of this size.
constexpr uint64_t kCopyBufferBytes = 1ull << 20;

int ReadFd(const Napi::Value& value) {
  if (!value.IsNumber()) throw Napi::TypeError::New(value.Env(), "fd must be a number");
  int fd = value.As<Napi::Number>().Int32Value();
  if (fd < 0) throw Napi::RangeError::New(value.Env(), "fd must be a non-negative integer");
  return fd;
}

std::string Label(const Napi::CallbackInfo& info, size_t index) {
  return info.Length() > index && info[index].IsString() ? info[index].As<Napi::String>().Utf8Value() : "";
}

// pwrite until every byte is written. Returns 0 or errno (a zero-byte write counts as EIO).
int WriteFully(int fd, const uint8_t* data, uint64_t length, uint64_t position) {
  while (length > 0) {
    ssize_t written = pwrite(fd, data, length, static_cast<off_t>(position));
    if (written < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    if (written == 0) return EIO;
    data += written;
    length -= static_cast<uint64_t>(written);
    position += static_cast<uint64_t>(written);
  }
  return 0;
}

// Copies with pread/pwrite. Returns bytes copied (short at end of input) or -errno.
int64_t CopyByReading(int in, uint64_t in_offset, int out, uint64_t out_offset, uint64_t length) {
  std::vector<uint8_t> buffer(std::min(length, kCopyBufferBytes));
  uint64_t done = 0;
  while (done < length) {
    uint64_t want = std::min<uint64_t>(buffer.size(), length - done);
    ssize_t got = pread(in, buffer.data(), want, static_cast<off_t>(in_offset + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    if (got == 0) break;
    int error = WriteFully(out, buffer.data(), static_cast<uint64_t>(got), out_offset + done);
    if (error != 0) return -error;
    done += static_cast<uint64_t>(got);
  }
  return static_cast<int64_t>(done);
}

// copy_file_range where the kernel and filesystem allow it (no bytes pass through user space;
// reflinks on btrfs/xfs), read/write otherwise. Returns bytes copied or -errno.
int64_t CopyRangeImpl(int in, uint64_t in_offset, int out, uint64_t out_offset, uint64_t length) {
#if defined(__linux__)
  uint64_t done = 0;
  while (done < length) {
    loff_t from = static_cast<loff_t>(in_offset + done);
    loff_t to = static_cast<loff_t>(out_offset + done);
    ssize_t copied = copy_file_range(in, &from, out, &to, length - done, 0);
    if (copied < 0) {
      if (errno == EINTR) continue;
      if (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP || errno == EBADF) {
        int64_t rest = CopyByReading(in, in_offset + done, out, out_offset + done, length - done);
        return rest < 0 ? rest : static_cast<int64_t>(done) + rest;
      }
      return -errno;
    }
    if (copied == 0) break;  // end of input
    done += static_cast<uint64_t>(copied);
  }
  return static_cast<int64_t>(done);
#else
  return CopyByReading(in, in_offset, out, out_offset, length);
#endif
}

Napi::Value DataSyncJs(const Napi::CallbackInfo& info) {
  int error = DataSync(ReadFd(info[0]));
  if (error != 0) throw ErrnoError(info.Env(), error, "fdatasync", "cannot sync", Label(info, 1));
  return info.Env().Undefined();
}

Napi::Value FullSyncJs(const Napi::CallbackInfo& info) {
  int error = FullSync(ReadFd(info[0]));
  if (error != 0) throw ErrnoError(info.Env(), error, "fsync", "cannot sync", Label(info, 1));
  return info.Env().Undefined();
}

// syncDirectory(path): makes the directory's entries (a new file, a rename) durable.
Napi::Value SyncDirectoryJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  int fd = open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw ErrnoError(env, errno, "open", "cannot open directory", path);
  int error = FullSync(fd);
  close(fd);
  if (error != 0) throw ErrnoError(env, error, "fsync", "cannot sync directory", path);
  return env.Undefined();
}

// pwrite(fd, bytes, position, label?) → bytes written (all of them, or it throws).
Napi::Value PwriteJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ReadFd(info[0]);
  if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "pwrite takes a Buffer or Uint8Array");
  }
  Napi::Uint8Array bytes = info[1].As<Napi::Uint8Array>();
  uint64_t position = ReadOffset(info[2], "position");
  int error = WriteFully(fd, bytes.Data(), bytes.ElementLength(), position);
  if (error != 0) throw ErrnoError(env, error, "pwrite", "cannot write", Label(info, 3));
  return Napi::Number::New(env, static_cast<double>(bytes.ElementLength()));
}

// pread(fd, length, position, label?) → Buffer (shorter than length at end of file).
Napi::Value PreadJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ReadFd(info[0]);
  uint64_t length = ReadOffset(info[1], "length");
  uint64_t position = ReadOffset(info[2], "position");
  std::vector<uint8_t> buffer(length);
  uint64_t done = 0;
  while (done < length) {
    ssize_t got = pread(fd, buffer.data() + done, length - done, static_cast<off_t>(position + done));
    if (got < 0) {
      if (errno == EINTR) continue;
      throw ErrnoError(env, errno, "pread", "cannot read", Label(info, 3));
    }
    if (got == 0) break;
    done += static_cast<uint64_t>(got);
  }
  return Napi::Buffer<uint8_t>::Copy(env, buffer.data(), done);
}

// copyFileRange(fdIn, offsetIn, fdOut, offsetOut, length, label?) → bytes copied.
Napi::Value CopyFileRangeJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int64_t result = CopyFileRange(ReadFd(info[0]), ReadOffset(info[1], "offsetIn"), ReadFd(info[2]),
                             ReadOffset(info[3], "offsetOut"), ReadOffset(info[4], "length"));
  if (result < 0) throw ErrnoError(env, static_cast<int>(-result), "copy_file_range", "cannot copy", Label(info, 5));
  return Napi::Number::New(env, static_cast<double>(result));
}

// startWriteback(fd, offset, length): asks the kernel to start writing these dirty pages now
// (sync_file_range WRITE on Linux; nothing elsewhere). Promises nothing about durability — only
// that the final fsync finds less to do, because copying and writing overlap.
Napi::Value StartWritebackJs(const Napi::CallbackInfo& info) {
#if defined(__linux__)
  int fd = ReadFd(info[0]);
  uint64_t offset = ReadOffset(info[1], "offset");
  uint64_t length = ReadOffset(info[2], "length");
  sync_file_range(fd, static_cast<off64_t>(offset), static_cast<off64_t>(length), SYNC_FILE_RANGE_WRITE);
#endif
  return info.Env().Undefined();
}

// allocate(fd, offset, length, label?): reserve disk space (the file grows to cover it).
Napi::Value AllocateJs(const Napi::CallbackInfo& info) {
  int error = AllocateFileSpace(ReadFd(info[0]), ReadOffset(info[1], "offset"), ReadOffset(info[2], "length"));
  if (error != 0) throw ErrnoError(info.Env(), error, "fallocate", "cannot allocate space for", Label(info, 3));
  return info.Env().Undefined();
}

// freeSpace(path) → { available, total } in bytes (available: what an unprivileged user may use).
Napi::Value FreeSpaceJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "path must be a string");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  struct statvfs status;
  if (statvfs(path.c_str(), &status) != 0) throw ErrnoError(env, errno, "statvfs", "cannot query free space of", path);
  Napi::Object result = Napi::Object::New(env);
  result.Set("available", Napi::Number::New(env, static_cast<double>(status.f_bavail) * status.f_frsize));
  result.Set("total", Napi::Number::New(env, static_cast<double>(status.f_blocks) * status.f_frsize));
  return result;
}

// lock(fd, exclusive = true, wait = false) → true if taken, false if another holder has it.
Napi::Value LockJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = ReadFd(info[0]);
  bool exclusive = info[1].IsUndefined() || info[1].ToBoolean().Value();
  bool wait = !info[2].IsUndefined() && info[2].ToBoolean().Value();
  int operation = (exclusive ? LOCK_EX : LOCK_SH) | (wait ? 0 : LOCK_NB);
  while (flock(fd, operation) != 0) {
    if (errno == EINTR) continue;
    if (errno == EWOULDBLOCK) return Napi::Boolean::New(env, false);
    throw ErrnoError(env, errno, "flock", "cannot lock", Label(info, 3));
  }
  return Napi::Boolean::New(env, true);
}

Napi::Value UnlockJs(const Napi::CallbackInfo& info) {
  if (flock(ReadFd(info[0]), LOCK_UN) != 0) throw ErrnoError(info.Env(), errno, "flock", "cannot unlock", Label(info, 1));
  return info.Env().Undefined();
}

// The names of a file's extended attributes (flistxattr), or errno. No xattrs: an empty list.
int ListXattrNames(int fd, std::vector<std::string>* names) {
  names->clear();
#if defined(__linux__) || defined(__APPLE__)
  for (int attempt = 0; attempt < 8; attempt++) {
#if defined(__APPLE__)
    ssize_t size = flistxattr(fd, nullptr, 0, 0);
#else
    ssize_t size = flistxattr(fd, nullptr, 0);
#endif
    if (size < 0) return (errno == ENOTSUP || errno == EOPNOTSUPP) ? 0 : errno;
    if (size == 0) return 0;
    std::vector<char> buffer(static_cast<size_t>(size));
#if defined(__APPLE__)
    ssize_t got = flistxattr(fd, buffer.data(), buffer.size(), 0);
#else
    ssize_t got = flistxattr(fd, buffer.data(), buffer.size());
#endif
    if (got < 0) {
      if (errno == ERANGE) continue;  // grew in between: ask again
      return errno;
    }
    for (size_t at = 0; at < static_cast<size_t>(got);) {
      std::string name(buffer.data() + at);
      at += name.size() + 1;
      if (!name.empty()) names->push_back(name);
    }
    return 0;
  }
  return ERANGE;
#else
  return 0;
#endif
}

// One attribute's value (fgetxattr), or errno.
int GetXattr(int fd, const std::string& name, std::vector<uint8_t>* value) {
#if defined(__linux__) || defined(__APPLE__)
  for (int attempt = 0; attempt < 8; attempt++) {
#if defined(__APPLE__)
    ssize_t size = fgetxattr(fd, name.c_str(), nullptr, 0, 0, 0);
#else
    ssize_t size = fgetxattr(fd, name.c_str(), nullptr, 0);
#endif
    if (size < 0) return errno;
    value->resize(static_cast<size_t>(size));
    if (size == 0) return 0;
#if defined(__APPLE__)
    ssize_t got = fgetxattr(fd, name.c_str(), value->data(), value->size(), 0, 0);
#else
    ssize_t got = fgetxattr(fd, name.c_str(), value->data(), value->size());
#endif
    if (got < 0) {
      if (errno == ERANGE) continue;
      return errno;
    }
    value->resize(static_cast<size_t>(got));
    return 0;
  }
  return ERANGE;
#else
  return ENOTSUP;
#endif
}

int SetXattr(int fd, const std::string& name, const std::vector<uint8_t>& value) {
#if defined(__APPLE__)
  return fsetxattr(fd, name.c_str(), value.data(), value.size(), 0, 0) == 0 ? 0 : errno;
#elif defined(__linux__)
  return fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) == 0 ? 0 : errno;
#else
  return ENOTSUP;
#endif
}

int RemoveXattr(int fd, const std::string& name) {
#if defined(__APPLE__)
  return fremovexattr(fd, name.c_str(), 0) == 0 ? 0 : errno;
#elif defined(__linux__)
  return fremovexattr(fd, name.c_str()) == 0 ? 0 : errno;
#else
  return ENOTSUP;
#endif
}

std::string ReadName(const Napi::Value& value) {
  if (!value.IsString()) throw Napi::TypeError::New(value.Env(), "name must be a string");
  return value.As<Napi::String>().Utf8Value();
}

// copyXattrs(fromFd, toFd, label?) → names copied. Makes toFd's extended attributes exactly
// fromFd's: every one of fromFd's is set on toFd (user.*, security.*, trusted.*, and the POSIX
// ACLs, which Linux keeps as system.posix_acl_access / _default), and any toFd has that fromFd
// lacks (an ACL inherited from the folder's default ACL) is removed. Throws with the errno of the
// first attribute that cannot be read, set or removed (EPERM, ENOTSUP, ...).
Napi::Value CopyXattrsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int from = ReadFd(info[0]);
  int to = ReadFd(info[1]);
  std::string label = Label(info, 2);
  std::vector<std::string> names;
  int error = ListXattrNames(from, &names);
  if (error != 0) throw ErrnoError(env, error, "flistxattr", "cannot list extended attributes of", label);
  std::vector<std::string> existing;
  error = ListXattrNames(to, &existing);
  if (error != 0) throw ErrnoError(env, error, "flistxattr", "cannot list extended attributes of", label);
  for (const std::string& name : existing) {
    if (std::find(names.begin(), names.end(), name) != names.end()) continue;
    error = RemoveXattr(to, name);
    if (error != 0 && error != kNoAttribute) {
      throw ErrnoError(env, error, "fremovexattr", "cannot remove extended attribute " + name + " for", label);
    }
  }
  std::vector<uint8_t> value;
  uint32_t copied = 0;
  for (const std::string& name : names) {
    error = GetXattr(from, name, &value);
    if (error == kNoAttribute) continue;  // removed in between
    if (error != 0) throw ErrnoError(env, error, "fgetxattr", "cannot read extended attribute " + name + " of", label);
    error = SetXattr(to, name, value);
    if (error != 0) throw ErrnoError(env, error, "fsetxattr", "cannot set extended attribute " + name + " for", label);
    copied++;
  }
  return Napi::Number::New(env, copied);
}

// listXattrs(fd) → the names of the file's extended attributes.
Napi::Value ListXattrsJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<std::string> names;
  int error = ListXattrNames(ReadFd(info[0]), &names);
  if (error != 0) throw ErrnoError(env, error, "flistxattr", "cannot list extended attributes of", Label(info, 1));
  Napi::Array result = Napi::Array::New(env, names.size());
  for (size_t i = 0; i < names.size(); i++) result.Set(static_cast<uint32_t>(i), Napi::String::New(env, names[i]));
  return result;
}

// getXattr(fd, name) → Buffer, or null when the file has no such attribute.
Napi::Value GetXattrJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ReadName(info[1]);
  std::vector<uint8_t> value;
  int error = GetXattr(ReadFd(info[0]), name, &value);
  if (error == kNoAttribute) return env.Null();
  if (error != 0) throw ErrnoError(env, error, "fgetxattr", "cannot read extended attribute " + name + " of", Label(info, 2));
  return Napi::Buffer<uint8_t>::Copy(env, value.data(), value.size());
}

// setXattr(fd, name, value): sets (creates or replaces) one extended attribute.
Napi::Value SetXattrJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string name = ReadName(info[1]);
  if (!info[2].IsTypedArray() || info[2].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "setXattr takes a Buffer or Uint8Array value");
  }
  Napi::Uint8Array bytes = info[2].As<Napi::Uint8Array>();
  std::vector<uint8_t> value(bytes.Data(), bytes.Data() + bytes.ElementLength());
  int error = SetXattr(ReadFd(info[0]), name, value);
  if (error != 0) throw ErrnoError(env, error, "fsetxattr", "cannot set extended attribute " + name + " for", Label(info, 3));
  return env.Undefined();
}

}  // namespace

int64_t CopyFileRange(int in, uint64_t in_offset, int out, uint64_t out_offset, uint64_t length) {
  return CopyRangeImpl(in, in_offset, out, out_offset, length);
}

int AllocateFileSpace(int fd, uint64_t offset, uint64_t length) {
  if (length == 0) return 0;
#if defined(__APPLE__)
  fstore_t store = {F_ALLOCATECONTIG, F_PEOFPOSMODE, 0, static_cast<off_t>(length), 0};
  if (fcntl(fd, F_PREALLOCATE, &store) == -1) {
    store.fst_flags = F_ALLOCATEALL;
    if (fcntl(fd, F_PREALLOCATE, &store) == -1) return errno;
  }
  if (ftruncate(fd, static_cast<off_t>(offset + length)) != 0) return errno;
  return 0;
#else
  // posix_fallocate returns the error instead of setting errno.
  int error;
  do {
    error = posix_fallocate(fd, static_cast<off_t>(offset), static_cast<off_t>(length));
  } while (error == EINTR);
  return error;
#endif
}

int DataSync(int fd) {
#if defined(__APPLE__)
  if (fcntl(fd, F_FULLFSYNC) == 0) return 0;
  return fsync(fd) == 0 ? 0 : errno;
#else
  return fdatasync(fd) == 0 ? 0 : errno;
#endif
}

int FullSync(int fd) {
#if defined(__APPLE__)
  if (fcntl(fd, F_FULLFSYNC) == 0) return 0;
#endif
  return fsync(fd) == 0 ? 0 : errno;
}

void DefineDurableIo(Napi::Env env, Napi::Object exports) {
  exports.Set("dataSync", Napi::Function::New<DataSyncJs>(env, "dataSync"));
  exports.Set("fullSync", Napi::Function::New<FullSyncJs>(env, "fullSync"));
  exports.Set("syncDirectory", Napi::Function::New<SyncDirectoryJs>(env, "syncDirectory"));
  exports.Set("pwrite", Napi::Function::New<PwriteJs>(env, "pwrite"));
  exports.Set("pread", Napi::Function::New<PreadJs>(env, "pread"));
  exports.Set("copyFileRange", Napi::Function::New<CopyFileRangeJs>(env, "copyFileRange"));
  exports.Set("allocate", Napi::Function::New<AllocateJs>(env, "allocate"));
  exports.Set("startWriteback", Napi::Function::New<StartWritebackJs>(env, "startWriteback"));
  exports.Set("freeSpace", Napi::Function::New<FreeSpaceJs>(env, "freeSpace"));
  exports.Set("lock", Napi::Function::New<LockJs>(env, "lock"));
  exports.Set("unlock", Napi::Function::New<UnlockJs>(env, "unlock"));
  exports.Set("copyXattrs", Napi::Function::New<CopyXattrsJs>(env, "copyXattrs"));
  exports.Set("listXattrs", Napi::Function::New<ListXattrsJs>(env, "listXattrs"));
  exports.Set("getXattr", Napi::Function::New<GetXattrJs>(env, "getXattr"));
  exports.Set("setXattr", Napi::Function::New<SetXattrJs>(env, "setXattr"));
}

}  // namespace gigapad
