#include "flv/stream_format.hpp"

#include <utility>

namespace rtmp {
namespace {

std::string hex_of(const Bytes& b) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(b.size() * 2);
  for (uint8_t c : b) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

std::string value_text(const FormatValue& v) {
  using T = FormatValue::Type;
  switch (v.type) {
    case T::kInt:
      return "(int)" + std::to_string(v.number);
    case T::kUint:
      return "(uint)" + std::to_string(v.number);
    case T::kBool:
      return v.number ? "(boolean)true" : "(boolean)false";
    case T::kString:
      return "(string)" + v.text;
    case T::kFraction:
      return "(fraction)" + std::to_string(v.number) + "/" + std::to_string(v.denominator);
    case T::kBuffer:
      return "(buffer)" + (v.buffers.empty() ? std::string() : hex_of(v.buffers[0]));
    case T::kBufferArray:
    case T::kIntArray: {
      std::string out = "<";
      const size_t n = v.type == T::kIntArray ? v.ints.size() : v.buffers.size();
      for (size_t i = 0; i < n; ++i) {
        if (i) out += ", ";
        out += v.type == T::kIntArray ? "(int)" + std::to_string(v.ints[i])
                                      : "(buffer)" + hex_of(v.buffers[i]);
      }
      return out + ">";
    }
  }
  return "?";
}

}  // namespace

StreamFormat& StreamFormat::set(std::string_view name, FormatValue v) {
  for (FormatField& f : fields) {
    if (f.name == name) {
      f.value = std::move(v);
      return *this;
    }
  }
  fields.push_back(FormatField{std::string(name), std::move(v)});
  return *this;
}

StreamFormat& StreamFormat::set_int(std::string_view name, int64_t v) {
  FormatValue fv;
  fv.number = v;
  return set(name, std::move(fv));
}

StreamFormat& StreamFormat::set_uint(std::string_view name, uint32_t v) {
  FormatValue fv;
  fv.type = FormatValue::Type::kUint;
  fv.number = v;
  return set(name, std::move(fv));
}

StreamFormat& StreamFormat::set_bool(std::string_view name, bool v) {
  FormatValue fv;
  fv.type = FormatValue::Type::kBool;
  fv.number = v ? 1 : 0;
  return set(name, std::move(fv));
}

StreamFormat& StreamFormat::set_string(std::string_view name, std::string_view v) {
  FormatValue fv;
  fv.type = FormatValue::Type::kString;
  fv.text = std::string(v);
  return set(name, std::move(fv));
}

StreamFormat& StreamFormat::set_fraction(std::string_view name, int64_t num, int64_t den) {
  FormatValue fv;
  fv.type = FormatValue::Type::kFraction;
  fv.number = num;
  fv.denominator = den;
  return set(name, std::move(fv));
}

StreamFormat& StreamFormat::set_buffer(std::string_view name, ByteView v) {
  FormatValue fv;
  fv.type = FormatValue::Type::kBuffer;
  fv.buffers.emplace_back(v.begin(), v.end());
  return set(name, std::move(fv));
}

StreamFormat& StreamFormat::set_buffers(std::string_view name, std::vector<Bytes> v) {
  FormatValue fv;
  fv.type = FormatValue::Type::kBufferArray;
  fv.buffers = std::move(v);
  return set(name, std::move(fv));
}

StreamFormat& StreamFormat::set_ints(std::string_view name, std::vector<int64_t> v) {
  FormatValue fv;
  fv.type = FormatValue::Type::kIntArray;
  fv.ints = std::move(v);
  return set(name, std::move(fv));
}

const FormatValue* StreamFormat::get(std::string_view name) const {
  for (const FormatField& f : fields)
    if (f.name == name) return &f.value;
  return nullptr;
}

std::string StreamFormat::to_string() const {
  if (empty()) return "(none)";
  std::string out = media_type;
  for (const FormatField& f : fields) out += ", " + f.name + "=" + value_text(f.value);
  return out;
}

}  // namespace rtmp
