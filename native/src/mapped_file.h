// MappedFile: a file mapped read-only — the document's original bytes.
#pragma once

#include <napi.h>

#include <atomic>
#include <memory>
#include <string>

#include "mapping.h"

namespace gigapad {

class MappedFile : public Napi::ObjectWrap<MappedFile> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit MappedFile(const Napi::CallbackInfo& info);
  ~MappedFile() override;

 private:
  const Mapping& Live(Napi::Env env) const;

  Napi::Value Size(const Napi::CallbackInfo& info);
  Napi::Value Path(const Napi::CallbackInfo& info);
  Napi::Value Identity(const Napi::CallbackInfo& info);
  Napi::Value IsClosed(const Napi::CallbackInfo& info);
  Napi::Value Read(const Napi::CallbackInfo& info);
  Napi::Value ReadInto(const Napi::CallbackInfo& info);
  Napi::Value CopyTo(const Napi::CallbackInfo& info);
  Napi::Value CountNewlines(const Napi::CallbackInfo& info);
  Napi::Value CountChunks(const Napi::CallbackInfo& info);
  Napi::Value NthNewline(const Napi::CallbackInfo& info);
  Napi::Value FindAll(const Napi::CallbackInfo& info);
  Napi::Value StartFind(const Napi::CallbackInfo& info);
  Napi::Value StartFindLines(const Napi::CallbackInfo& info);
  Napi::Value StartChunkIndex(const Napi::CallbackInfo& info);
  Napi::Value Advise(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  std::shared_ptr<Mapping> mapping_;
  // Set by close(); background jobs see it and stop.
  std::shared_ptr<std::atomic<bool>> closing_;
  uint64_t dev_ = 0, ino_ = 0, size_ = 0;
  int64_t mtime_ns_ = 0;
  std::string path_;
};

}  // namespace gigapad
