// Value::to_debug_string(): a bounded, readable rendering of AMF0 values for logs.
#include <charconv>
#include <cstdio>

#include "rtmp/amf0.hpp"

namespace rtmp::amf0 {

// ---------------------------------------------------------------------------------------------
// Debug rendering

namespace {

constexpr size_t kDebugMaxString = 200;
constexpr size_t kDebugMaxEntries = 64;

void render_number(double n, std::string& out) {
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof(buf), n);
  out.append(buf, res.ptr);
}

void render_string(std::string_view s, std::string& out) {
  size_t shown = s.size();
  if (shown > kDebugMaxString) {
    shown = kDebugMaxString;
    // Do not cut a UTF-8 sequence in half.
    while (shown > 0 && (static_cast<uint8_t>(s[shown]) & 0xC0) == 0x80) --shown;
  }
  out.push_back('"');
  for (size_t i = 0; i < shown; ++i) {
    const auto c = static_cast<uint8_t>(s[i]);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(static_cast<char>(c));
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7F) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  out.push_back('"');
  if (shown < s.size()) out += "...(" + std::to_string(s.size()) + " bytes)";
}

void render(const Value& v, std::string& out);

void render_more(size_t total, std::string& out) {
  if (total > kDebugMaxEntries) out += ",...(+" + std::to_string(total - kDebugMaxEntries) + ")";
}

void render_props(const std::vector<Property>& props, std::string& out) {
  out.push_back('{');
  for (size_t i = 0; i < props.size() && i < kDebugMaxEntries; ++i) {
    if (i > 0) out.push_back(',');
    render_string(props[i].first, out);
    out.push_back(':');
    render(props[i].second, out);
  }
  render_more(props.size(), out);
  out.push_back('}');
}

void render(const Value& v, std::string& out) {
  switch (v.type()) {
    case Type::kNumber:
      render_number(v.number(), out);
      break;
    case Type::kBoolean:
      out += v.boolean() ? "true" : "false";
      break;
    case Type::kString:
      render_string(v.string(), out);
      break;
    case Type::kObject:
      render_props(v.properties(), out);
      break;
    case Type::kEcmaArray:
      out += "ecma";
      render_props(v.properties(), out);
      break;
    case Type::kStrictArray: {
      const auto& items = v.items();
      out.push_back('[');
      for (size_t i = 0; i < items.size() && i < kDebugMaxEntries; ++i) {
        if (i > 0) out.push_back(',');
        render(items[i], out);
      }
      render_more(items.size(), out);
      out.push_back(']');
      break;
    }
    case Type::kDate:
      out += "Date(";
      render_number(v.date_ms(), out);
      out += "," + std::to_string(v.date_tz()) + ")";
      break;
    case Type::kNull:
      out += "null";
      break;
    case Type::kUndefined:
      out += "undefined";
      break;
  }
}

}  // namespace

std::string Value::to_debug_string() const {
  std::string out;
  render(*this, out);
  return out;
}

}  // namespace rtmp::amf0
