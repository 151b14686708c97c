// AppendFile: the add buffer — a mapped, append-only file. Inserted text is appended here and
// never overwritten. The file is preallocated ahead of the data (so a full disk shows up as an
// error at growth time, not as SIGBUS while writing through the map) and remapped as it grows.
#pragma once

#include <napi.h>

#include <string>

#include "mapping.h"

namespace gigapad {

class AppendFile : public Napi::ObjectWrap<AppendFile> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit AppendFile(const Napi::CallbackInfo& info);
  ~AppendFile() override;

 private:
  void Unmap();
  void CheckUsable(Napi::Env env) const;
  void Grow(Napi::Env env, uint64_t needed);
  // The data part of the mapping, for the shared range operations.
  Mapping View() const;

  Napi::Value Length(const Napi::CallbackInfo& info);
  Napi::Value Capacity(const Napi::CallbackInfo& info);
  Napi::Value Path(const Napi::CallbackInfo& info);
  Napi::Value Append(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value ReadInto(const Napi::CallbackInfo& info);
  Napi::Value CopyTo(const Napi::CallbackInfo& info);
  Napi::Value CountNewlines(const Napi::CallbackInfo& info);
  Napi::Value NthNewline(const Napi::CallbackInfo& info);
  Napi::Value FindAll(const Napi::CallbackInfo& info);
  Napi::Value Sync(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  std::string path_;
  int fd_ = -1;
  uint8_t* base_ = nullptr;
  uint64_t capacity_ = 0;
  uint64_t length_ = 0;
  // Bytes before this offset are known to be on stable storage.
  uint64_t synced_length_ = 0;
  // After a failed sync the buffer refuses further work (never retry an fsync: "fsyncgate").
  std::string failure_;
};

}  // namespace gigapad
