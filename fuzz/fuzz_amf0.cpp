// libFuzzer target for the AMF0 decoder and the command parser.
//
// Checks that decoding never misbehaves on arbitrary bytes, and that every successfully decoded
// value survives encode -> decode unchanged (modulo NaN, which is never == itself).
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "rtmp/amf0.hpp"
#include "rtmp/commands.hpp"

namespace {

using rtmp::amf0::Type;
using rtmp::amf0::Value;

// Equality that treats two NaNs (in numbers or dates) as equal.
bool same(const Value& a, const Value& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case Type::kNumber:
      return a.number() == b.number() || (std::isnan(a.number()) && std::isnan(b.number()));
    case Type::kDate:
      return a.date_tz() == b.date_tz() &&
             (a.date_ms() == b.date_ms() || (std::isnan(a.date_ms()) && std::isnan(b.date_ms())));
    case Type::kObject:
    case Type::kEcmaArray: {
      const auto& pa = a.properties();
      const auto& pb = b.properties();
      if (pa.size() != pb.size()) return false;
      for (size_t i = 0; i < pa.size(); ++i) {
        if (pa[i].first != pb[i].first || !same(pa[i].second, pb[i].second)) return false;
      }
      return true;
    }
    case Type::kStrictArray: {
      const auto& ia = a.items();
      const auto& ib = b.items();
      if (ia.size() != ib.size()) return false;
      for (size_t i = 0; i < ia.size(); ++i) {
        if (!same(ia[i], ib[i])) return false;
      }
      return true;
    }
    default:
      return a == b;
  }
}

void check_round_trip(const Value& v) {
  rtmp::Bytes bytes;
  rtmp::amf0::encode(v, bytes);
  Value back;
  std::string error;
  if (rtmp::amf0::decode(bytes, back, &error) != bytes.size()) abort();
  if (!same(v, back)) abort();
  rtmp::Bytes again;
  rtmp::amf0::encode(back, again);
  if (again != bytes) abort();
  (void)v.to_debug_string();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const rtmp::ByteView in(data, size);
  std::string error;

  std::vector<Value> values;
  if (rtmp::amf0::decode_all(in, values, &error)) {
    for (const auto& v : values) check_round_trip(v);
  } else if (error.empty()) {
    abort();  // failures must explain themselves
  }

  Value single;
  const size_t used = rtmp::amf0::decode(in, single, nullptr);
  if (used > size) abort();
  if (used > 0) check_round_trip(single);

  error.clear();
  auto command = rtmp::commands::parse_command(in, &error);
  if (command) {
    (void)rtmp::commands::status_info(*command);
    rtmp::commands::Transactions t;
    (void)t.finish(command->transaction_id);
  } else if (error.empty()) {
    abort();
  }
  return 0;
}
