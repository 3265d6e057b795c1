#include "rtmp/amf0.hpp"

#include <bit>
#include <charconv>
#include <cstdio>
#include <limits>

namespace rtmp::amf0 {

// ---------------------------------------------------------------------------------------------
// Value

struct Value::Heap {
  std::string str;
  std::vector<Property> props;
  std::vector<Value> items;
};

namespace {

const std::string& empty_string() {
  static const std::string s;
  return s;
}

const std::vector<Property>& empty_props() {
  static const std::vector<Property> v;
  return v;
}

const std::vector<Value>& empty_items() {
  static const std::vector<Value> v;
  return v;
}

}  // namespace

Value::Value() = default;
Value::~Value() = default;

Value::Value(const Value& other)
    : type_(other.type_),
      tz_(other.tz_),
      bool_(other.bool_),
      num_(other.num_),
      heap_(other.heap_ ? std::make_unique<Heap>(*other.heap_) : nullptr) {}

Value::Value(Value&& other) noexcept
    : type_(other.type_),
      tz_(other.tz_),
      bool_(other.bool_),
      num_(other.num_),
      heap_(std::move(other.heap_)) {
  other.type_ = Type::kUndefined;
}

Value& Value::operator=(const Value& other) {
  if (this != &other) {
    Value copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Value& Value::operator=(Value&& other) noexcept {
  if (this != &other) {
    type_ = other.type_;
    tz_ = other.tz_;
    bool_ = other.bool_;
    num_ = other.num_;
    heap_ = std::move(other.heap_);
    other.type_ = Type::kUndefined;
  }
  return *this;
}

Value::Heap& Value::heap() {
  if (!heap_) heap_ = std::make_unique<Heap>();
  return *heap_;
}

Value Value::Number(double n) {
  Value v;
  v.type_ = Type::kNumber;
  v.num_ = n;
  return v;
}

Value Value::Boolean(bool b) {
  Value v;
  v.type_ = Type::kBoolean;
  v.bool_ = b;
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.heap().str = std::move(s);
  return v;
}

Value Value::Object(std::vector<Property> props) {
  Value v;
  v.type_ = Type::kObject;
  v.heap().props = std::move(props);
  return v;
}

Value Value::Null() {
  Value v;
  v.type_ = Type::kNull;
  return v;
}

Value Value::Undefined() {
  return Value();
}

Value Value::EcmaArray(std::vector<Property> props) {
  Value v;
  v.type_ = Type::kEcmaArray;
  v.heap().props = std::move(props);
  return v;
}

Value Value::StrictArray(std::vector<Value> items) {
  Value v;
  v.type_ = Type::kStrictArray;
  v.heap().items = std::move(items);
  return v;
}

Value Value::Date(double ms, int16_t tz) {
  Value v;
  v.type_ = Type::kDate;
  v.num_ = ms;
  v.tz_ = tz;
  return v;
}

double Value::number() const {
  return type_ == Type::kNumber ? num_ : 0.0;
}
bool Value::boolean() const {
  return type_ == Type::kBoolean && bool_;
}
double Value::date_ms() const {
  return type_ == Type::kDate ? num_ : 0.0;
}
int16_t Value::date_tz() const {
  return type_ == Type::kDate ? tz_ : 0;
}

const std::string& Value::string() const {
  return (type_ == Type::kString && heap_) ? heap_->str : empty_string();
}

const std::vector<Property>& Value::properties() const {
  return (is_object() && heap_) ? heap_->props : empty_props();
}

const std::vector<Value>& Value::items() const {
  return (type_ == Type::kStrictArray && heap_) ? heap_->items : empty_items();
}

Value& Value::set(std::string key, Value v) {
  if (!is_object()) *this = Object();
  auto& props = heap().props;
  for (auto& p : props) {
    if (p.first == key) {
      p.second = std::move(v);
      return *this;
    }
  }
  props.emplace_back(std::move(key), std::move(v));
  return *this;
}

const Value* Value::get(std::string_view key) const {
  for (const auto& p : properties()) {
    if (p.first == key) return &p.second;
  }
  return nullptr;
}

std::optional<std::string> Value::get_string(std::string_view key) const {
  const Value* v = get(key);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->string();
}

std::optional<double> Value::get_number(std::string_view key) const {
  const Value* v = get(key);
  if (v == nullptr || !v->is_number()) return std::nullopt;
  return v->number();
}

bool Value::operator==(const Value& other) const {
  if (type_ != other.type_) return false;
  switch (type_) {
    case Type::kNumber:
      return num_ == other.num_;
    case Type::kBoolean:
      return bool_ == other.bool_;
    case Type::kString:
      return string() == other.string();
    case Type::kObject:
    case Type::kEcmaArray:
      return properties() == other.properties();
    case Type::kStrictArray:
      return items() == other.items();
    case Type::kDate:
      return num_ == other.num_ && tz_ == other.tz_;
    case Type::kNull:
    case Type::kUndefined:
      return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Encoder

namespace {

constexpr uint32_t kU32Max = std::numeric_limits<uint32_t>::max();

void put_f64(Bytes& out, double d) {
  const auto bits = std::bit_cast<uint64_t>(d);
  put_u32be(out, static_cast<uint32_t>(bits >> 32));
  put_u32be(out, static_cast<uint32_t>(bits));
}

uint32_t clamp_u32(size_t n) {
  return n > kU32Max ? kU32Max : static_cast<uint32_t>(n);
}

void put_raw(Bytes& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

void put_string_body(Bytes& out, std::string_view s) {
  const size_t n = s.size() > 0xFFFF ? 0xFFFF : s.size();
  put_u16be(out, static_cast<uint16_t>(n));
  put_raw(out, s.substr(0, n));
}

void put_properties(Bytes& out, const std::vector<Property>& props) {
  for (const auto& p : props) {
    put_string_body(out, p.first);
    encode(p.second, out);
  }
  put_u16be(out, 0);
  put_u8(out, marker::kObjectEnd);
}

void encode_string(Bytes& out, const std::string& s) {
  if (s.size() <= 0xFFFF) {
    put_u8(out, marker::kString);
    put_string_body(out, s);
    return;
  }
  const uint32_t n = clamp_u32(s.size());
  put_u8(out, marker::kLongString);
  put_u32be(out, n);
  put_raw(out, std::string_view(s).substr(0, n));
}

}  // namespace

void encode(const Value& v, Bytes& out) {
  switch (v.type()) {
    case Type::kNumber:
      put_u8(out, marker::kNumber);
      put_f64(out, v.number());
      break;
    case Type::kBoolean:
      put_u8(out, marker::kBoolean);
      put_u8(out, v.boolean() ? 1 : 0);
      break;
    case Type::kString:
      encode_string(out, v.string());
      break;
    case Type::kObject:
      put_u8(out, marker::kObject);
      put_properties(out, v.properties());
      break;
    case Type::kNull:
      put_u8(out, marker::kNull);
      break;
    case Type::kUndefined:
      put_u8(out, marker::kUndefined);
      break;
    case Type::kEcmaArray:
      put_u8(out, marker::kEcmaArray);
      put_u32be(out, clamp_u32(v.properties().size()));
      put_properties(out, v.properties());
      break;
    case Type::kStrictArray: {
      const uint32_t n = clamp_u32(v.items().size());
      put_u8(out, marker::kStrictArray);
      put_u32be(out, n);
      for (uint32_t i = 0; i < n; ++i) encode(v.items()[i], out);
      break;
    }
    case Type::kDate:
      put_u8(out, marker::kDate);
      put_f64(out, v.date_ms());
      put_u16be(out, static_cast<uint16_t>(v.date_tz()));
      break;
  }
}

Bytes encode(const Value& v) {
  Bytes out;
  encode(v, out);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Decoder

namespace {

const char* marker_name(uint8_t m) {
  switch (m) {
    case marker::kMovieClip:
      return "movieclip";
    case marker::kReference:
      return "reference";
    case marker::kObjectEnd:
      return "object-end";
    case marker::kUnsupported:
      return "unsupported";
    case marker::kRecordSet:
      return "recordset";
    case marker::kAvmPlus:
      return "AVM+ (AMF3) switch";
    default:
      return "unknown";
  }
}

class Decoder {
 public:
  Decoder(ByteView in, std::string* error, const DecodeLimits& limits)
      : in_(in), error_(error), limits_(limits) {}

  size_t pos() const { return pos_; }
  bool at_end() const { return pos_ >= in_.size(); }
  bool value(Value& out, size_t depth);

 private:
  bool fail(const std::string& what, size_t at) {
    if (error_ != nullptr) *error_ = "AMF0: " + what + " at offset " + std::to_string(at);
    return false;
  }
  bool need(size_t n, const char* what) {
    if (in_.size() - pos_ >= n) return true;
    return fail(std::string("truncated ") + what, pos_);
  }
  const uint8_t* take(size_t n) {
    const uint8_t* p = in_.data() + pos_;
    pos_ += n;
    return p;
  }
  bool read_f64(double& d, const char* what);
  bool read_string(size_t len_bytes, std::string& s, const char* what);
  bool container(size_t depth, size_t at);
  bool properties(std::vector<Property>& props, size_t depth);
  bool strict_array(Value& out, size_t depth);
  bool scalar(uint8_t m, Value& out, bool& handled);

  ByteView in_;
  std::string* error_;
  const DecodeLimits& limits_;
  size_t pos_ = 0;
  size_t values_ = 0;
};

bool Decoder::read_f64(double& d, const char* what) {
  if (!need(8, what)) return false;
  const uint8_t* p = take(8);
  const uint64_t bits = (uint64_t{get_u32be(p)} << 32) | get_u32be(p + 4);
  d = std::bit_cast<double>(bits);
  return true;
}

// Reads a length prefix of `len_bytes` (2 or 4) and then that many bytes. The length is checked
// against the bytes actually present before anything is allocated.
bool Decoder::read_string(size_t len_bytes, std::string& s, const char* what) {
  if (!need(len_bytes, what)) return false;
  const uint8_t* p = take(len_bytes);
  const size_t len = len_bytes == 2 ? get_u16be(p) : get_u32be(p);
  if (!need(len, what)) return false;
  const uint8_t* body = take(len);
  s.assign(reinterpret_cast<const char*>(body), len);
  return true;
}

bool Decoder::container(size_t depth, size_t at) {
  if (depth < limits_.max_depth) return true;
  return fail("nesting deeper than " + std::to_string(limits_.max_depth), at);
}

// Properties up to and including the empty-name + object-end terminator.
bool Decoder::properties(std::vector<Property>& props, size_t depth) {
  for (;;) {
    std::string key;
    if (!read_string(2, key, "property name")) return false;
    if (key.empty()) {
      if (!need(1, "object")) return false;
      if (in_[pos_] == marker::kObjectEnd) {
        ++pos_;
        return true;
      }
    }
    Value v;
    if (!value(v, depth + 1)) return false;
    props.emplace_back(std::move(key), std::move(v));
  }
}

// The element count is untrusted: nothing is reserved by it, and every element needs at least one
// byte of input, so a huge count with no data fails at the end of the input.
bool Decoder::strict_array(Value& out, size_t depth) {
  if (!need(4, "strict array count")) return false;
  const uint32_t count = get_u32be(take(4));
  std::vector<Value> items;
  for (uint32_t i = 0; i < count; ++i) {
    Value v;
    if (!value(v, depth + 1)) return false;
    items.push_back(std::move(v));
  }
  out = Value::StrictArray(std::move(items));
  return true;
}

bool Decoder::scalar(uint8_t m, Value& out, bool& handled) {
  handled = true;
  double d = 0;
  std::string s;
  switch (m) {
    case marker::kNumber:
      if (!read_f64(d, "number")) return false;
      out = Value::Number(d);
      return true;
    case marker::kBoolean:
      if (!need(1, "boolean")) return false;
      out = Value::Boolean(*take(1) != 0);
      return true;
    case marker::kString:
    case marker::kLongString:
    case marker::kXmlDocument:
      if (!read_string(m == marker::kString ? 2 : 4, s, "string")) return false;
      out = Value::String(std::move(s));
      return true;
    case marker::kNull:
      out = Value::Null();
      return true;
    case marker::kUndefined:
      out = Value::Undefined();
      return true;
    case marker::kDate: {
      if (!read_f64(d, "date")) return false;
      if (!need(2, "date time zone")) return false;
      const auto tz = static_cast<int16_t>(get_u16be(take(2)));
      out = Value::Date(d, tz);
      return true;
    }
    default:
      handled = false;
      return false;
  }
}

bool Decoder::value(Value& out, size_t depth) {
  const size_t at = pos_;
  if (++values_ > limits_.max_values) {
    return fail("more than " + std::to_string(limits_.max_values) + " values", at);
  }
  if (!need(1, "value marker")) return false;
  const uint8_t m = *take(1);
  bool handled = false;
  const bool ok = scalar(m, out, handled);
  if (handled) return ok;

  std::vector<Property> props;
  std::string class_name;
  switch (m) {
    case marker::kObject:
    case marker::kTypedObject:
      if (!container(depth, at)) return false;
      if (m == marker::kTypedObject && !read_string(2, class_name, "class name")) return false;
      if (!properties(props, depth)) return false;
      out = Value::Object(std::move(props));
      return true;
    case marker::kEcmaArray:
      if (!container(depth, at)) return false;
      if (!need(4, "ECMA array count")) return false;
      take(4);  // advisory only; the terminator ends the array
      if (!properties(props, depth)) return false;
      out = Value::EcmaArray(std::move(props));
      return true;
    case marker::kStrictArray:
      if (!container(depth, at)) return false;
      return strict_array(out, depth);
    default: {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "0x%02x", m);
      return fail(std::string("unsupported marker ") + buf + " (" + marker_name(m) + ")", at);
    }
  }
}

}  // namespace

size_t decode(ByteView in, Value& out, std::string* error, const DecodeLimits& limits) {
  Decoder d(in, error, limits);
  Value v;
  if (!d.value(v, 0)) return 0;
  out = std::move(v);
  return d.pos();
}

bool decode_all(ByteView in, std::vector<Value>& out, std::string* error,
                const DecodeLimits& limits) {
  out.clear();
  Decoder d(in, error, limits);
  while (!d.at_end()) {
    Value v;
    if (!d.value(v, 0)) return false;
    out.push_back(std::move(v));
  }
  return true;
}

}  // namespace rtmp::amf0
