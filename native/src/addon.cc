// The gigapad native addon: mapped buffers, scanning kernels and durable I/O (see DESIGN.md,
// "native/"). N-API only, so one binary serves Node and Electron; no external buffers (Electron's
// memory cage forbids them), every byte handed to JS is copied out.
#include <napi.h>

#include "append_file.h"
#include "byte_scan.h"
#include "durable_io.h"
#include "errors.h"
#include "line_feeds.h"
#include "mapped_file.h"
#include "range_methods.h"
#include "scan_pool.h"
#include "scan_settings.h"
#include "sigbus_guard.h"

namespace gigapad {
namespace {

Napi::Uint8Array ReadBytes(const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(value.Env(), "expected a Buffer or Uint8Array");
  }
  return value.As<Napi::Uint8Array>();
}

// countNewlinesInBytes(bytes, rule = "byte") → number of line feeds (the same kernels the mapped
// scans use; UTF-16 units from bytes[0]).
Napi::Value CountNewlinesInBytes(const Napi::CallbackInfo& info) {
  Napi::Uint8Array bytes = ReadBytes(info[0]);
  LineFeedRule rule = ReadLineFeedRule(info[1]);
  return Napi::Number::New(info.Env(),
                           static_cast<double>(CountLineFeeds(bytes.Data(), bytes.ElementLength(), rule)));
}

// indexOfBytes(haystack, needle, from = 0) → first match at or after from, or -1.
Napi::Value IndexOfBytes(const Napi::CallbackInfo& info) {
  Napi::Uint8Array haystack = ReadBytes(info[0]);
  std::vector<uint8_t> needle = ReadNeedle(info[1]);
  uint64_t from = info[2].IsUndefined() ? 0 : ReadOffset(info[2], "from");
  if (from > haystack.ElementLength()) return Napi::Number::New(info.Env(), -1);
  size_t hit = FindLiteral(haystack.Data() + from, haystack.ElementLength() - from, needle.data(), needle.size());
  return Napi::Number::New(info.Env(), hit == kNotFound ? -1.0 : static_cast<double>(from + hit));
}

// configureScan({ strategy?: "auto" | "mmap" | "pread", bufferBytes?, batchBytes? }) → the settings now in
// force. How bulk scans read (see ScanSettings); for measurement and tests.
Napi::Value ConfigureScan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ScanSettings settings = CurrentScanSettings();
  if (info[0].IsObject()) {
    Napi::Object options = info[0].As<Napi::Object>();
    Napi::Value strategy = options.Get("strategy");
    if (!strategy.IsUndefined()) {
      std::string name = strategy.IsString() ? strategy.As<Napi::String>().Utf8Value() : "";
      if (name == "mmap") settings.strategy = ScanStrategy::kMmap;
      else if (name == "pread") settings.strategy = ScanStrategy::kPread;
      else if (name == "auto") settings.strategy = ScanStrategy::kAuto;
      else throw Napi::TypeError::New(env, "strategy must be 'auto', 'mmap' or 'pread'");
    }
    Napi::Value buffer = options.Get("bufferBytes");
    if (!buffer.IsUndefined()) {
      settings.buffer_bytes = ReadOffset(buffer, "bufferBytes");
      if (settings.buffer_bytes < 2 || settings.buffer_bytes > (256u << 20)) {
        throw Napi::RangeError::New(env, "bufferBytes must be in 2..256 MiB");
      }
    }
    Napi::Value batch = options.Get("batchBytes");
    if (!batch.IsUndefined()) {
      settings.batch_bytes = ReadOffset(batch, "batchBytes");
      if (settings.batch_bytes < 1 || settings.batch_bytes > (1u << 30)) {
        throw Napi::RangeError::New(env, "batchBytes must be in 1..1 GiB");
      }
    }
    SetScanSettings(settings);
  }
  Napi::Object result = Napi::Object::New(env);
  const char* strategy = settings.strategy == ScanStrategy::kMmap    ? "mmap"
                         : settings.strategy == ScanStrategy::kPread ? "pread"
                                                                     : "auto";
  result.Set("strategy", Napi::String::New(env, strategy));
  result.Set("bufferBytes", Napi::Number::New(env, static_cast<double>(settings.buffer_bytes)));
  result.Set("batchBytes", Napi::Number::New(env, static_cast<double>(settings.batch_bytes)));
  return result;
}

}  // namespace
}  // namespace gigapad

static Napi::Object InitGigapad(Napi::Env env, Napi::Object exports) {
  using namespace gigapad;
  InstallSigbusHandler();
  exports.Set("MappedFile", MappedFile::Define(env));
  exports.Set("AppendFile", AppendFile::Define(env));
  exports.Set("countNewlinesInBytes", Napi::Function::New<CountNewlinesInBytes>(env, "countNewlinesInBytes"));
  exports.Set("indexOfBytes", Napi::Function::New<IndexOfBytes>(env, "indexOfBytes"));
  exports.Set("scanThreads", Napi::Number::New(env, ScanThreadCount()));
  exports.Set("configureScan", Napi::Function::New<ConfigureScan>(env, "configureScan"));
  DefineDurableIo(env, exports);
  return exports;
}

NODE_API_MODULE(gigapad, InitGigapad)
