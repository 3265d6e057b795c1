#include "rtmp/amf0.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using rtmp::Bytes;
using rtmp::ByteView;
using namespace rtmp::amf0;

namespace {

Bytes enc(const Value& v) {
  Bytes out;
  encode(v, out);
  return out;
}

// Every proper prefix of a complete encoding must be rejected by decode().
void expect_truncations_fail(const Bytes& full) {
  for (size_t len = 0; len < full.size(); ++len) {
    Value v = Value::String("sentinel");
    std::string err;
    EXPECT_EQ(decode(ByteView(full.data(), len), v, &err), 0u) << "prefix length " << len;
    EXPECT_FALSE(err.empty()) << "prefix length " << len;
    EXPECT_EQ(v, Value::String("sentinel")) << "output touched on error, length " << len;
    EXPECT_EQ(decode(ByteView(full.data(), len), v, nullptr), 0u);
  }
}

// Encodes, checks the full decode, and checks every truncation.
void expect_round_trip(const Value& v) {
  const Bytes bytes = enc(v);
  Value back;
  std::string err;
  ASSERT_EQ(decode(bytes, back, &err), bytes.size()) << err << " for " << v.to_debug_string();
  EXPECT_EQ(back, v) << back.to_debug_string() << " vs " << v.to_debug_string();
  EXPECT_EQ(enc(back), bytes);
  expect_truncations_fail(bytes);
}

Value sample_object() {
  return Value::Object(
      {{"app", Value::String("live")},
       {"n", Value::Number(3.5)},
       {"ok", Value::Boolean(true)},
       {"nothing", Value::Null()},
       {"u", Value::Undefined()},
       {"meta", Value::EcmaArray({{"width", Value::Number(1280)},
                                  {"inner", Value::Object({{"x", Value::Null()}})}})},
       {"list", Value::StrictArray({Value::Number(1), Value::String("two")})},
       {"when", Value::Date(1.7e12, -60)}});
}

Bytes nested_strict_arrays(size_t depth) {
  Bytes b;
  for (size_t i = 0; i < depth; ++i) b.insert(b.end(), {0x0A, 0, 0, 0, 1});
  b.push_back(0x05);
  return b;
}

}  // namespace

TEST(Amf0Encode, ExactBytes) {
  EXPECT_EQ(enc(Value::Number(1.0)), (Bytes{0x00, 0x3F, 0xF0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(enc(Value::String("ab")), (Bytes{0x02, 0x00, 0x02, 0x61, 0x62}));
  EXPECT_EQ(enc(Value::String("")), (Bytes{0x02, 0x00, 0x00}));
  EXPECT_EQ(enc(Value::Boolean(true)), (Bytes{0x01, 0x01}));
  EXPECT_EQ(enc(Value::Boolean(false)), (Bytes{0x01, 0x00}));
  EXPECT_EQ(enc(Value::Null()), (Bytes{0x05}));
  EXPECT_EQ(enc(Value::Undefined()), (Bytes{0x06}));
  EXPECT_EQ(enc(Value()), (Bytes{0x06}));
  EXPECT_EQ(enc(Value::Object()), (Bytes{0x03, 0x00, 0x00, 0x09}));
  EXPECT_EQ(enc(Value::Object({{"a", Value::Null()}})),
            (Bytes{0x03, 0x00, 0x01, 0x61, 0x05, 0x00, 0x00, 0x09}));
  EXPECT_EQ(enc(Value::EcmaArray({{"a", Value::Boolean(true)}})),
            (Bytes{0x08, 0, 0, 0, 1, 0x00, 0x01, 0x61, 0x01, 0x01, 0x00, 0x00, 0x09}));
  EXPECT_EQ(enc(Value::StrictArray({Value::Null(), Value::Undefined()})),
            (Bytes{0x0A, 0, 0, 0, 2, 0x05, 0x06}));
  EXPECT_EQ(enc(Value::Date(0.0, -1)), (Bytes{0x0B, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF}));
  EXPECT_EQ(enc(Value::Number(-2000)), (Bytes{0x00, 0xC0, 0x9F, 0x40, 0, 0, 0, 0, 0}));
  EXPECT_EQ(encode(Value::Null()), (Bytes{0x05}));
}

TEST(Amf0Encode, AppendsToExistingBuffer) {
  Bytes out{0xAA};
  encode(Value::Null(), out);
  encode(Value::Boolean(true), out);
  EXPECT_EQ(out, (Bytes{0xAA, 0x05, 0x01, 0x01}));
}

TEST(Amf0Encode, LongStringMarkerThreshold) {
  const Bytes at_limit = enc(Value::String(std::string(65535, 'x')));
  ASSERT_EQ(at_limit.size(), 3u + 65535u);
  EXPECT_EQ(at_limit[0], 0x02);
  EXPECT_EQ(at_limit[1], 0xFF);
  EXPECT_EQ(at_limit[2], 0xFF);

  const Bytes over = enc(Value::String(std::string(65536, 'y')));
  ASSERT_EQ(over.size(), 5u + 65536u);
  EXPECT_EQ(over[0], 0x0C);
  EXPECT_EQ((Bytes(over.begin() + 1, over.begin() + 5)), (Bytes{0x00, 0x01, 0x00, 0x00}));
}

TEST(Amf0Encode, OverlongPropertyNameIsCut) {
  const Value v = Value::Object({{std::string(70000, 'k'), Value::Null()}});
  Value back;
  const Bytes b = enc(v);
  ASSERT_EQ(decode(b, back, nullptr), b.size());
  ASSERT_EQ(back.properties().size(), 1u);
  EXPECT_EQ(back.properties()[0].first, std::string(65535, 'k'));
}

TEST(Amf0RoundTrip, EveryType) {
  expect_round_trip(Value::Number(0));
  expect_round_trip(Value::Number(-1.25));
  expect_round_trip(Value::Number(std::numeric_limits<double>::infinity()));
  expect_round_trip(Value::Number(std::numeric_limits<double>::denorm_min()));
  expect_round_trip(Value::Boolean(true));
  expect_round_trip(Value::Boolean(false));
  expect_round_trip(Value::String(""));
  expect_round_trip(Value::String("hello \xC3\xA9"));
  expect_round_trip(Value::String(std::string("a\0b", 3)));
  expect_round_trip(Value::Object());
  expect_round_trip(Value::Null());
  expect_round_trip(Value::Undefined());
  expect_round_trip(Value::EcmaArray());
  expect_round_trip(Value::StrictArray({}));
  expect_round_trip(Value::Date(1700000000000.0, 120));
  expect_round_trip(Value::Date(-5, -32768));
  expect_round_trip(sample_object());
  expect_round_trip(Value::StrictArray({sample_object(), Value::EcmaArray(), Value::Null()}));
}

TEST(Amf0RoundTrip, EmptyPropertyNameThatIsNotTheEnd) {
  const Value v = Value::Object({{"", Value::Null()}, {"b", Value::Number(2)}});
  expect_round_trip(v);
  expect_round_trip(Value::EcmaArray({{"", Value::String("x")}}));
}

TEST(Amf0RoundTrip, LongString) {
  std::string s(70000, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>('a' + i % 26);
  const Value v = Value::String(s);
  const Bytes b = enc(v);
  ASSERT_EQ(b[0], 0x0C);
  Value back;
  ASSERT_EQ(decode(b, back, nullptr), b.size());
  EXPECT_EQ(back.type(), Type::kString);
  EXPECT_EQ(back.string(), s);
  // Every truncation; each fails right after the length check, so the full sweep is cheap.
  for (size_t len = 0; len < b.size(); ++len) {
    Value out;
    ASSERT_EQ(decode(ByteView(b.data(), len), out, nullptr), 0u) << len;
  }
}

TEST(Amf0RoundTrip, NanStaysNan) {
  const Value v = Value::Number(std::numeric_limits<double>::quiet_NaN());
  EXPECT_FALSE(v == v);
  Value back;
  const Bytes b = enc(v);
  ASSERT_EQ(decode(b, back, nullptr), 9u);
  EXPECT_TRUE(back.is_number());
  EXPECT_TRUE(std::isnan(back.number()));
  EXPECT_EQ(enc(back), b);
}

TEST(Amf0Decode, ReturnsBytesConsumedAndIgnoresTrailingData) {
  const Bytes b{0x02, 0x00, 0x01, 0x7A, 0x05, 0xFF};
  Value v;
  EXPECT_EQ(decode(b, v, nullptr), 4u);
  EXPECT_EQ(v, Value::String("z"));
}

TEST(Amf0Decode, EmptyInputIsError) {
  Value v;
  std::string err;
  EXPECT_EQ(decode(ByteView(), v, &err), 0u);
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;
}

TEST(Amf0Decode, LegacyMarkersMapOntoKnownKinds) {
  // Long string holding a short value.
  const Bytes ls{0x0C, 0, 0, 0, 2, 'h', 'i'};
  // XML document.
  const Bytes xml{0x0F, 0, 0, 0, 3, '<', 'a', '>'};
  // Typed object: class name "C", property a:true.
  const Bytes typed{0x10, 0x00, 0x01, 'C', 0x00, 0x01, 'a', 0x01, 0x01, 0x00, 0x00, 0x09};
  Value v;
  ASSERT_EQ(decode(ls, v, nullptr), ls.size());
  EXPECT_EQ(v, Value::String("hi"));
  ASSERT_EQ(decode(xml, v, nullptr), xml.size());
  EXPECT_EQ(v, Value::String("<a>"));
  ASSERT_EQ(decode(typed, v, nullptr), typed.size());
  EXPECT_EQ(v, Value::Object({{"a", Value::Boolean(true)}}));
  expect_truncations_fail(ls);
  expect_truncations_fail(xml);
  expect_truncations_fail(typed);
}

TEST(Amf0Decode, NonZeroBooleanIsTrue) {
  const Bytes b{0x01, 0x7F};
  Value v;
  ASSERT_EQ(decode(b, v, nullptr), 2u);
  EXPECT_EQ(v, Value::Boolean(true));
}

TEST(Amf0Decode, EcmaArrayCountIsAdvisory) {
  const Bytes fewer{0x08, 0, 0, 0, 0, 0x00, 0x01, 'a', 0x05, 0x00, 0x01, 'b', 0x06, 0, 0, 0x09};
  const Bytes more{0x08, 0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x01, 'a', 0x05, 0, 0, 0x09};
  Value v;
  ASSERT_EQ(decode(fewer, v, nullptr), fewer.size());
  EXPECT_EQ(v, Value::EcmaArray({{"a", Value::Null()}, {"b", Value::Undefined()}}));
  ASSERT_EQ(decode(more, v, nullptr), more.size());
  EXPECT_EQ(v, Value::EcmaArray({{"a", Value::Null()}}));
  expect_truncations_fail(fewer);
  expect_truncations_fail(more);
}

TEST(Amf0Decode, UnsupportedMarkersAreNamed) {
  const std::vector<std::pair<uint8_t, std::string>> cases = {
      {0x04, "movieclip"}, {0x07, "reference"},  {0x0D, "unsupported"}, {0x0E, "recordset"},
      {0x11, "AVM+"},      {0x09, "object-end"}, {0x12, "unknown"},     {0xFF, "unknown"},
  };
  for (const auto& [m, name] : cases) {
    const Bytes b{m, 0x00, 0x01};
    Value v;
    std::string err;
    EXPECT_EQ(decode(b, v, &err), 0u);
    char hex[8];
    std::snprintf(hex, sizeof(hex), "0x%02x", m);
    EXPECT_NE(err.find(hex), std::string::npos) << err;
    EXPECT_NE(err.find(name), std::string::npos) << err;
  }
}

TEST(Amf0Decode, ReferenceInsideObjectFails) {
  const Bytes b{0x03, 0x00, 0x01, 'r', 0x07, 0x00, 0x00, 0x00, 0x00, 0x09};
  Value v;
  std::string err;
  EXPECT_EQ(decode(b, v, &err), 0u);
  EXPECT_NE(err.find("reference"), std::string::npos) << err;
}

TEST(Amf0Decode, ObjectEndWithNonEmptyNameIsError) {
  // "a" followed by 0x09: the terminator needs an empty name.
  const Bytes b{0x03, 0x00, 0x01, 'a', 0x09};
  Value v;
  EXPECT_EQ(decode(b, v, nullptr), 0u);
}

TEST(Amf0Decode, HostileStrictArrayCountFailsFast) {
  const Bytes b{0x0A, 0xFF, 0xFF, 0xFF, 0xFF};
  Value v;
  std::string err;
  EXPECT_EQ(decode(b, v, &err), 0u);
  EXPECT_NE(err.find("truncated"), std::string::npos) << err;

  Bytes some = b;
  some.insert(some.end(), 1000, 0x05);
  EXPECT_EQ(decode(some, v, &err), 0u);
}

TEST(Amf0Decode, HostileStringLengthsFail) {
  const Bytes long_str{0x0C, 0xFF, 0xFF, 0xFF, 0xFF, 'a', 'b'};
  const Bytes xml{0x0F, 0x7F, 0xFF, 0xFF, 0xFF};
  const Bytes short_str{0x02, 0xFF, 0xFF, 'a'};
  const Bytes key{0x03, 0xFF, 0xFF, 'a'};
  for (const Bytes& b : {long_str, xml, short_str, key}) {
    Value v;
    EXPECT_EQ(decode(b, v, nullptr), 0u);
  }
}

TEST(Amf0Decode, DepthLimit) {
  Value v;
  std::string err;
  const Bytes ok = nested_strict_arrays(32);
  EXPECT_EQ(decode(ok, v, &err), ok.size()) << err;
  const Bytes too_deep = nested_strict_arrays(33);
  EXPECT_EQ(decode(too_deep, v, &err), 0u);
  EXPECT_NE(err.find("nesting"), std::string::npos) << err;

  DecodeLimits shallow;
  shallow.max_depth = 1;
  const Bytes one = enc(Value::Object({{"a", Value::Number(1)}}));
  EXPECT_EQ(decode(one, v, nullptr, shallow), one.size());
  const Bytes two = enc(Value::Object({{"a", Value::Object()}}));
  EXPECT_EQ(decode(two, v, nullptr, shallow), 0u);
  shallow.max_depth = 0;
  EXPECT_EQ(decode(Bytes{0x05}, v, nullptr, shallow), 1u);
  EXPECT_EQ(decode(Bytes{0x03, 0, 0, 9}, v, nullptr, shallow), 0u);
}

TEST(Amf0Decode, VeryDeepNestingFailsWithoutRecursingDeeply) {
  Bytes objects;
  for (int i = 0; i < 200000; ++i) objects.insert(objects.end(), {0x03, 0x00, 0x01, 'a'});
  Value v;
  EXPECT_EQ(decode(objects, v, nullptr), 0u);
  EXPECT_EQ(decode(nested_strict_arrays(200000), v, nullptr), 0u);
  Bytes ecma;
  for (int i = 0; i < 200000; ++i) ecma.insert(ecma.end(), {0x08, 0, 0, 0, 1, 0x00, 0x01, 'e'});
  EXPECT_EQ(decode(ecma, v, nullptr), 0u);
}

TEST(Amf0Decode, ValueCountLimit) {
  Bytes b{0x0A, 0, 0, 0, 10};
  b.insert(b.end(), 10, 0x05);
  DecodeLimits limits;
  limits.max_values = 11;
  Value v;
  std::string err;
  EXPECT_EQ(decode(b, v, &err, limits), b.size()) << err;
  limits.max_values = 10;
  EXPECT_EQ(decode(b, v, &err, limits), 0u);
  EXPECT_NE(err.find("values"), std::string::npos) << err;

  std::vector<Value> all;
  const Bytes nulls(5, 0x05);
  limits.max_values = 5;
  EXPECT_TRUE(decode_all(nulls, all, nullptr, limits));
  limits.max_values = 4;
  EXPECT_FALSE(decode_all(nulls, all, nullptr, limits));
}

TEST(Amf0DecodeAll, ConsecutiveValues) {
  Bytes b;
  encode(Value::String("onStatus"), b);
  encode(Value::Number(0), b);
  encode(Value::Null(), b);
  encode(sample_object(), b);
  std::vector<Value> out{Value::Null()};
  std::string err;
  ASSERT_TRUE(decode_all(b, out, &err)) << err;
  ASSERT_EQ(out.size(), 4u);
  EXPECT_EQ(out[0], Value::String("onStatus"));
  EXPECT_EQ(out[3], sample_object());

  // Every split point: either an error or a clean prefix of the full result.
  for (size_t len = 0; len <= b.size(); ++len) {
    std::vector<Value> part;
    if (decode_all(ByteView(b.data(), len), part, nullptr)) {
      ASSERT_LE(part.size(), out.size());
      for (size_t i = 0; i < part.size(); ++i) EXPECT_EQ(part[i], out[i]) << len;
    }
  }
}

TEST(Amf0DecodeAll, EmptyInputAndTrailingGarbage) {
  std::vector<Value> out{Value::Null()};
  EXPECT_TRUE(decode_all(ByteView(), out, nullptr));
  EXPECT_TRUE(out.empty());
  const Bytes b{0x05, 0x06, 0x07};
  std::string err;
  EXPECT_FALSE(decode_all(b, out, &err));
  EXPECT_EQ(out.size(), 2u);
  EXPECT_NE(err.find("offset 2"), std::string::npos) << err;
}

TEST(Amf0Value, Accessors) {
  EXPECT_EQ(Value().type(), Type::kUndefined);
  EXPECT_TRUE(Value::Number(2).is_number());
  EXPECT_EQ(Value::Number(2).number(), 2);
  EXPECT_TRUE(Value::Boolean(true).boolean());
  EXPECT_TRUE(Value::String("s").is_string());
  EXPECT_TRUE(Value::Object().is_object());
  EXPECT_TRUE(Value::EcmaArray().is_object());
  EXPECT_FALSE(Value::StrictArray({}).is_object());
  EXPECT_TRUE(Value::Null().is_null());
  EXPECT_FALSE(Value::Undefined().is_null());
  EXPECT_EQ(Value::Date(5, 3).date_ms(), 5);
  EXPECT_EQ(Value::Date(5, 3).date_tz(), 3);
  EXPECT_EQ(Value::StrictArray({Value::Null()}).items().size(), 1u);

  // Wrong-kind accessors are neutral.
  const Value s = Value::String("x");
  EXPECT_EQ(s.number(), 0);
  EXPECT_FALSE(s.boolean());
  EXPECT_TRUE(s.properties().empty());
  EXPECT_TRUE(s.items().empty());
  EXPECT_EQ(s.date_ms(), 0);
  EXPECT_TRUE(Value::Number(1).string().empty());
  EXPECT_EQ(Value::Date(7).number(), 0);
}

TEST(Amf0Value, SetAndGet) {
  Value o = Value::Object();
  o.set("a", Value::Number(1)).set("b", Value::String("x")).set("a", Value::Number(2));
  ASSERT_EQ(o.properties().size(), 2u);
  EXPECT_EQ(o.properties()[0].first, "a");
  EXPECT_EQ(o.get_number("a"), 2);
  EXPECT_EQ(o.get_string("b"), "x");
  EXPECT_EQ(o.get_string("a"), std::nullopt);
  EXPECT_EQ(o.get_number("b"), std::nullopt);
  EXPECT_EQ(o.get("zz"), nullptr);
  ASSERT_NE(o.get("b"), nullptr);
  EXPECT_EQ(*o.get("b"), Value::String("x"));

  Value e = Value::EcmaArray();
  e.set("k", Value::Null());
  EXPECT_EQ(e.type(), Type::kEcmaArray);
  EXPECT_TRUE(e.get("k")->is_null());

  Value n = Value::Number(1);
  EXPECT_EQ(n.get("k"), nullptr);
  n.set("k", Value::Boolean(true));
  EXPECT_EQ(n.type(), Type::kObject);
  EXPECT_EQ(n.properties().size(), 1u);
}

TEST(Amf0Value, Equality) {
  EXPECT_EQ(Value(), Value::Undefined());
  EXPECT_NE(Value::Null(), Value::Undefined());
  EXPECT_NE(Value::Object(), Value::EcmaArray());
  EXPECT_NE(Value::Number(1), Value::Boolean(true));
  EXPECT_NE(Value::Date(1, 0), Value::Date(1, 1));
  EXPECT_NE(Value::String("a"), Value::String("b"));
  const Value ab = Value::Object({{"a", Value::Null()}, {"b", Value::Null()}});
  const Value ba = Value::Object({{"b", Value::Null()}, {"a", Value::Null()}});
  EXPECT_NE(ab, ba);
  EXPECT_EQ(sample_object(), sample_object());
  EXPECT_NE(Value::StrictArray({Value::Null()}), Value::StrictArray({}));
}

TEST(Amf0Value, CopyAndMove) {
  Value a = sample_object();
  Value b = a;
  EXPECT_EQ(a, b);
  b.set("app", Value::String("changed"));
  EXPECT_NE(a, b);
  EXPECT_EQ(a.get_string("app"), "live");

  Value c = std::move(b);
  EXPECT_EQ(c.get_string("app"), "changed");
  Value d;
  d = c;
  EXPECT_EQ(d, c);
  const Value& same = d;
  d = same;
  EXPECT_EQ(d, c);
  d = Value::Number(4);
  EXPECT_EQ(d, Value::Number(4));
  std::vector<Value> many(100, sample_object());
  many.resize(1000);
  EXPECT_EQ(many[50], sample_object());
}

TEST(Amf0Value, DebugString) {
  const Value v = Value::Object({{"a", Value::Number(1.5)},
                                 {"s", Value::String("q\"\n")},
                                 {"l", Value::StrictArray({Value::Null(), Value::Undefined()})},
                                 {"e", Value::EcmaArray({{"t", Value::Boolean(true)}})},
                                 {"d", Value::Date(10, -2)}});
  EXPECT_EQ(v.to_debug_string(),
            "{\"a\":1.5,\"s\":\"q\\\"\\n\",\"l\":[null,undefined],\"e\":ecma{\"t\":true},"
            "\"d\":Date(10,-2)}");
  const std::string long_render = Value::String(std::string(5000, 'x')).to_debug_string();
  EXPECT_LT(long_render.size(), 300u);
  EXPECT_NE(long_render.find("5000 bytes"), std::string::npos);
  EXPECT_EQ(Value::String(std::string(1, '\x01')).to_debug_string(), "\"\\u0001\"");
}
