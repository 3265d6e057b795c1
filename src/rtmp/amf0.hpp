// AMF0 (Action Message Format version 0) values, encoder and a bounds-checked decoder.
//
// Only the value kinds RTMP peers actually exchange are modelled. The decoder also accepts a few
// legacy markers by mapping them onto these kinds (long string and XML document become kString,
// typed object becomes kObject) and rejects the rest with an error that names the marker.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/bytes.hpp"

namespace rtmp::amf0 {

enum class Type : uint8_t {
  kNumber,
  kBoolean,
  kString,
  kObject,
  kNull,
  kUndefined,
  kEcmaArray,
  kStrictArray,
  kDate,
};

// Wire markers (AMF0 specification, section 2.1).
namespace marker {
inline constexpr uint8_t kNumber = 0x00;
inline constexpr uint8_t kBoolean = 0x01;
inline constexpr uint8_t kString = 0x02;
inline constexpr uint8_t kObject = 0x03;
inline constexpr uint8_t kMovieClip = 0x04;
inline constexpr uint8_t kNull = 0x05;
inline constexpr uint8_t kUndefined = 0x06;
inline constexpr uint8_t kReference = 0x07;
inline constexpr uint8_t kEcmaArray = 0x08;
inline constexpr uint8_t kObjectEnd = 0x09;
inline constexpr uint8_t kStrictArray = 0x0A;
inline constexpr uint8_t kDate = 0x0B;
inline constexpr uint8_t kLongString = 0x0C;
inline constexpr uint8_t kUnsupported = 0x0D;
inline constexpr uint8_t kRecordSet = 0x0E;
inline constexpr uint8_t kXmlDocument = 0x0F;
inline constexpr uint8_t kTypedObject = 0x10;
inline constexpr uint8_t kAvmPlus = 0x11;
}  // namespace marker

class Value;
// Value is incomplete here; the pair is only instantiated after Value is complete.
using Property = std::pair<std::string, Value>;

// One AMF0 value. Scalars live inline; strings and containers live in a separately allocated
// payload that is deep-copied on copy, so a Value stays small (decoded arrays of many scalars do
// not multiply memory much). Accessors for the wrong kind return a neutral value (0, false, an
// empty string or list) rather than failing.
class Value {
 public:
  Value();  // undefined
  ~Value();
  Value(const Value& other);
  Value(Value&& other) noexcept;
  Value& operator=(const Value& other);
  Value& operator=(Value&& other) noexcept;

  static Value Number(double n);
  static Value Boolean(bool b);
  static Value String(std::string s);
  static Value Object(std::vector<Property> props = {});
  static Value Null();
  static Value Undefined();
  static Value EcmaArray(std::vector<Property> props = {});
  static Value StrictArray(std::vector<Value> items);
  static Value Date(double ms, int16_t tz = 0);

  Type type() const { return type_; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_object() const { return type_ == Type::kObject || type_ == Type::kEcmaArray; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_undefined() const { return type_ == Type::kUndefined; }
  bool is_strict_array() const { return type_ == Type::kStrictArray; }

  double number() const;                            // 0 unless kNumber
  bool boolean() const;                             // false unless kBoolean
  const std::string& string() const;                // empty unless kString
  const std::vector<Property>& properties() const;  // object / ECMA array, else empty
  const std::vector<Value>& items() const;          // strict array, else empty
  double date_ms() const;                           // 0 unless kDate
  int16_t date_tz() const;                          // 0 unless kDate

  // Object / ECMA array: replaces the first property named `key` or appends one. Any other kind
  // is first turned into an empty object. Returns *this for chaining.
  Value& set(std::string key, Value v);
  // First property named `key`; nullptr if absent or not an object / ECMA array.
  const Value* get(std::string_view key) const;
  std::optional<std::string> get_string(std::string_view key) const;
  std::optional<double> get_number(std::string_view key) const;

  // Structural equality: same kind and same contents, property order included. Numbers compare
  // with ==, so a NaN is never equal to anything.
  bool operator==(const Value& other) const;

  // Compact JSON-like rendering for logs; very long strings and containers are abbreviated.
  std::string to_debug_string() const;

 private:
  struct Heap;
  Heap& heap();

  Type type_ = Type::kUndefined;
  int16_t tz_ = 0;
  bool bool_ = false;
  double num_ = 0;              // number, or date milliseconds
  std::unique_ptr<Heap> heap_;  // string / properties / items; null for scalars
};

// Appends the encoding of `v`. Strings longer than 65535 bytes use the long-string marker (0x0C).
// Property names longer than 65535 bytes cannot be represented and are cut to 65535 bytes.
void encode(const Value& v, Bytes& out);
Bytes encode(const Value& v);

struct DecodeLimits {
  size_t max_depth = 32;  // nested objects / arrays; a container at depth > max_depth fails
  // Total values (at every depth) one decode()/decode_all() call may produce. Bounds memory use:
  // each one-byte null in the input otherwise becomes a full Value.
  size_t max_values = size_t{1} << 20;
};

// Decodes one value from the start of `in`. Returns bytes consumed (> 0), or 0 on error with
// *error set (error may be nullptr).
size_t decode(ByteView in, Value& out, std::string* error, const DecodeLimits& limits = {});
// Decodes consecutive values until `in` is exhausted; false on error. `out` is cleared first; on
// error it holds the values decoded before the failing one.
bool decode_all(ByteView in, std::vector<Value>& out, std::string* error,
                const DecodeLimits& limits = {});

}  // namespace rtmp::amf0
