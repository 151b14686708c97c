#include "line_feeds.h"

#include <string>

#include "byte_scan.h"
#include "unit_scan.h"

namespace gigapad {

namespace {

// A line feed and a carriage return as raw units (b0 | b1 << 8) in each byte order.
constexpr uint16_t kLfLe = 0x000A, kCrLe = 0x000D, kLfBe = 0x0A00, kCrBe = 0x0D00;

}  // namespace

LineFeedRule ReadLineFeedRule(const Napi::Value& value) {
  if (value.IsUndefined()) return LineFeedRule::kByte;
  std::string name = value.IsString() ? value.As<Napi::String>().Utf8Value() : "";
  if (name == "byte") return LineFeedRule::kByte;
  if (name == "utf-16le") return LineFeedRule::kUtf16Le;
  if (name == "utf-16be") return LineFeedRule::kUtf16Be;
  throw Napi::TypeError::New(value.Env(), "line feed rule must be 'byte', 'utf-16le' or 'utf-16be'");
}

uint64_t CountLineFeeds(const uint8_t* data, size_t length, LineFeedRule rule) {
  switch (rule) {
    case LineFeedRule::kByte:
      return CountNewlines(data, length);
    case LineFeedRule::kUtf16Le:
      return CountUnits(data, length, kLfLe);
    case LineFeedRule::kUtf16Be:
      return CountUnits(data, length, kLfBe);
  }
  return 0;
}

uint64_t CountCrlf(const uint8_t* data, size_t length, uint16_t previous, LineFeedRule rule) {
  switch (rule) {
    case LineFeedRule::kByte:
      return CountCrlfPairs(data, length, static_cast<uint8_t>(previous));
    case LineFeedRule::kUtf16Le:
      return CountUnitPairs(data, length, kCrLe, kLfLe, previous);
    case LineFeedRule::kUtf16Be:
      return CountUnitPairs(data, length, kCrBe, kLfBe, previous);
  }
  return 0;
}

size_t FindNthLineFeed(const uint8_t* data, size_t length, uint64_t n, LineFeedRule rule) {
  if (rule == LineFeedRule::kByte) return FindNthNewline(data, length, n);
  size_t unit = FindNthUnit(data, length, n, rule == LineFeedRule::kUtf16Le ? kLfLe : kLfBe);
  return unit == kNotFound ? kNotFound : unit + 1;
}

}  // namespace gigapad
