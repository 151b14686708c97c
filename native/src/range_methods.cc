#include "range_methods.h"

#include "errors.h"
#include "range_operations.h"

namespace gigapad {

std::vector<uint8_t> ReadNeedle(const Napi::Value& value) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(value.Env(), "needle must be a Buffer or Uint8Array");
  }
  Napi::Uint8Array bytes = value.As<Napi::Uint8Array>();
  if (bytes.ElementLength() == 0) throw Napi::RangeError::New(value.Env(), "needle must not be empty");
  return std::vector<uint8_t>(bytes.Data(), bytes.Data() + bytes.ElementLength());
}

uint64_t ReadLimit(const Napi::Value& value) {
  return value.IsUndefined() ? UINT64_MAX : ReadOffset(value, "limit");
}

Napi::Float64Array OffsetsArray(Napi::Env env, const std::vector<uint64_t>& offsets) {
  Napi::Float64Array result = Napi::Float64Array::New(env, offsets.size());
  for (size_t i = 0; i < offsets.size(); ++i) result[i] = static_cast<double>(offsets[i]);
  return result;
}

Napi::Value RangeRead(const Napi::CallbackInfo& info, const Mapping& mapping) {
  return CopyOut(info.Env(), mapping, ReadOffset(info[0], "start"), ReadOffset(info[1], "end"));
}

Napi::Value RangeReadInto(const Napi::CallbackInfo& info, const Mapping& mapping) {
  CopyInto(info.Env(), mapping, ReadOffset(info[2], "start"), ReadOffset(info[3], "end"), info[0],
           ReadOffset(info[1], "targetOffset"));
  return info.Env().Undefined();
}

Napi::Value RangeCopyTo(const Napi::CallbackInfo& info, int source_fd, uint64_t size, const std::string& path) {
  Napi::Env env = info.Env();
  if (!info[0].IsNumber()) throw Napi::TypeError::New(env, "fd must be a number");
  int out_fd = info[0].As<Napi::Number>().Int32Value();
  uint64_t copied = CopyRangeTo(env, source_fd, size, path, out_fd, ReadOffset(info[1], "outOffset"),
                                ReadOffset(info[2], "start"), ReadOffset(info[3], "end"));
  return Napi::Number::New(env, static_cast<double>(copied));
}

Napi::Value RangeCountNewlines(const Napi::CallbackInfo& info, const Mapping& mapping) {
  Napi::Env env = info.Env();
  uint64_t count = CountNewlinesIn(env, mapping, ReadOffset(info[0], "start"), ReadOffset(info[1], "end"),
                                   ReadLineFeedRule(info[2]));
  return Napi::Number::New(env, static_cast<double>(count));
}

Napi::Value RangeNthNewline(const Napi::CallbackInfo& info, const Mapping& mapping) {
  Napi::Env env = info.Env();
  return Napi::Number::New(env, NthNewlineIn(env, mapping, ReadOffset(info[0], "start"), ReadOffset(info[1], "end"),
                                             ReadOffset(info[2], "n"), ReadLineFeedRule(info[3])));
}

Napi::Value RangeFindAll(const Napi::CallbackInfo& info, const Mapping& mapping) {
  Napi::Env env = info.Env();
  std::vector<uint8_t> needle = ReadNeedle(info[0]);
  std::vector<uint64_t> matches = FindAllIn(env, mapping, needle, ReadOffset(info[1], "start"),
                                            ReadOffset(info[2], "end"), ReadLimit(info[3]),
                                            ReadLineFeedRule(info[4]));
  return OffsetsArray(env, matches);
}

}  // namespace gigapad
