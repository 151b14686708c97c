// JavaScript errors carrying errno details, in the shape Node's own fs errors have
// (message, code, errno, syscall, path), so callers can branch on `code`.
#pragma once

#include <napi.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace gigapad {

inline const char* ErrnoName(int error) {
  switch (error) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EPERM: return "EPERM";
    case EISDIR: return "EISDIR";
    case ENOSPC: return "ENOSPC";
    case EIO: return "EIO";
    case EBADF: return "EBADF";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case EEXIST: return "EEXIST";
    case EXDEV: return "EXDEV";
    case EAGAIN: return "EAGAIN";
    case EROFS: return "EROFS";
    case EFBIG: return "EFBIG";
    case ENOTDIR: return "ENOTDIR";
    case EDQUOT: return "EDQUOT";
    case ENODEV: return "ENODEV";
    case ENOSYS: return "ENOSYS";
    case EOPNOTSUPP: return "EOPNOTSUPP";
    case ELOOP: return "ELOOP";
    case ENAMETOOLONG: return "ENAMETOOLONG";
#if defined(ENODATA) && ENODATA != ENOENT
    case ENODATA: return "ENODATA";
#endif
    case ERANGE: return "ERANGE";
    default: return "EUNKNOWN";
  }
}

// "<what> <path>: <strerror>" with code/errno/syscall/path properties.
inline Napi::Error ErrnoError(Napi::Env env, int error, const char* syscall, const std::string& what,
                              const std::string& path) {
  std::string message = what;
  if (!path.empty()) message += " " + path;
  message += ": ";
  message += std::strerror(error);
  Napi::Error js_error = Napi::Error::New(env, message);
  js_error.Set("code", Napi::String::New(env, ErrnoName(error)));
  js_error.Set("errno", Napi::Number::New(env, -error));
  js_error.Set("syscall", Napi::String::New(env, syscall));
  if (!path.empty()) js_error.Set("path", Napi::String::New(env, path));
  return js_error;
}

inline Napi::Error TruncatedError(Napi::Env env, const std::string& path) {
  Napi::Error js_error = Napi::Error::New(env, "file was truncated on disk: " + path);
  js_error.Set("code", Napi::String::New(env, "ETRUNCATED"));
  js_error.Set("path", Napi::String::New(env, path));
  return js_error;
}

// Reads a byte offset argument: a non-negative safe integer. Throws TypeError / RangeError.
inline uint64_t ReadOffset(const Napi::Value& value, const char* name) {
  Napi::Env env = value.Env();
  if (!value.IsNumber()) throw Napi::TypeError::New(env, std::string(name) + " must be a number");
  double number = value.As<Napi::Number>().DoubleValue();
  if (!(number >= 0) || number > 9007199254740991.0 ||
      number != static_cast<double>(static_cast<uint64_t>(number))) {
    throw Napi::RangeError::New(env, std::string(name) + " must be a non-negative integer, got " +
                                         value.ToString().Utf8Value());
  }
  return static_cast<uint64_t>(number);
}

}  // namespace gigapad
