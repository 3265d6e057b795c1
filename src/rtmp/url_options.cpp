#include "rtmp/url_options.hpp"

#include <charconv>
#include <cmath>
#include <utility>

#include "util/strings.hpp"

namespace rtmp {

namespace {

using util::is_space;
using util::lower;
using util::trim;

// Deeper conn=O:1 nesting than a server's AMF decoder would accept is refused up front.
constexpr size_t kMaxConnDepth = 32;

bool fail(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

// Decodes "\XX" escapes; a backslash not followed by two hex digits is an error.
bool unescape(std::string_view in, std::string_view key, std::string* out, std::string* error) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); i++) {
    if (in[i] != '\\') {
      out->push_back(in[i]);
      continue;
    }
    int hi = i + 1 < in.size() ? util::hex_value(in[i + 1]) : -1;
    int lo = i + 2 < in.size() ? util::hex_value(in[i + 2]) : -1;
    if (hi < 0 || lo < 0)
      return fail(error, "option '" + std::string(key) +
                             "': '\\' must be followed by two hex digits (\\20 is a space, "
                             "\\5c a backslash)");
    out->push_back(static_cast<char>(hi * 16 + lo));
    i += 2;
  }
  return true;
}

bool parse_bool(std::string_view s, bool* out) {
  const std::string l = lower(s);
  if (l == "1" || l == "yes" || l == "true" || l == "on") {
    *out = true;
    return true;
  }
  if (l == "0" || l == "no" || l == "false" || l == "off") {
    *out = false;
    return true;
  }
  return false;
}

bool parse_uint32(std::string_view s, uint32_t* out) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

// A finite decimal number, locale-independent ("1.5", "-2", "1e3").
bool parse_number(std::string_view s, double* out) {
  if (s.empty()) return false;
  if (s.front() == '+') s.remove_prefix(1);  // from_chars does not take a leading '+'
  if (s.empty() || s.front() == '+') return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size() && std::isfinite(*out);
}

// Builds the conn= argument list: top-level values, with O:1 ... O:0 collecting object members.
class ConnBuilder {
 public:
  bool add(std::string_view raw, std::string* error) {
    const std::string shown = "conn=" + std::string(raw);
    bool named = raw.size() >= 2 && raw[0] == 'N' && is_type(raw[1]);
    std::string_view rest = raw.substr(named ? 1 : 0);
    if (rest.size() < 2 || !is_type(rest[0]) || rest[1] != ':')
      return fail(error, "'" + shown +
                             "': expected TYPE:VALUE with TYPE one of B, N, S, O, Z (or NB, NN, "
                             "NS, NO, NZ with NAME:VALUE inside an object)");
    const char type = rest[0];
    rest.remove_prefix(2);
    std::string name;
    if (named) {
      size_t colon = rest.find(':');
      if (colon == std::string_view::npos)
        return fail(error, "'" + shown + "': a named value is written N" + std::string(1, type) +
                               ":NAME:VALUE");
      if (!unescape(rest.substr(0, colon), "conn", &name, error)) return false;
      rest.remove_prefix(colon + 1);
    }
    std::string data;
    if (!unescape(rest, "conn", &data, error)) return false;

    if (type == 'O') return object_mark(data, std::move(name), named, shown, error);
    amf0::Value v;
    if (!scalar(type, data, &v, shown, error)) return false;
    return place(std::move(name), named, std::move(v), shown, error);
  }

  // O:1 begins an object, O:0 ends the innermost one.
  bool object_mark(const std::string& data, std::string name, bool named, const std::string& shown,
                   std::string* error) {
    if (data == "0") {
      if (open_.empty()) return fail(error, "'" + shown + "' ends an object that was not begun");
      Frame done = std::move(open_.back());
      open_.pop_back();
      return place(std::move(done.name), done.named, amf0::Value::Object(std::move(done.props)),
                   shown, error);
    }
    if (data != "1") return fail(error, "'" + shown + "': O takes 1 (begin) or 0 (end)");
    if (!check_naming(named, shown, error)) return false;
    if (open_.size() >= kMaxConnDepth)
      return fail(error, "'" + shown + "': objects nested more than " +
                             std::to_string(kMaxConnDepth) + " deep");
    open_.push_back(Frame{std::move(name), named, {}});
    return true;
  }

  static bool scalar(char type, std::string& data, amf0::Value* v, const std::string& shown,
                     std::string* error) {
    switch (type) {
      case 'B':
        if (data != "0" && data != "1")
          return fail(error, "'" + shown + "': B takes 1 (true) or 0 (false)");
        *v = amf0::Value::Boolean(data == "1");
        return true;
      case 'N': {
        double n = 0;
        if (!parse_number(data, &n)) return fail(error, "'" + shown + "': not a number");
        *v = amf0::Value::Number(n);
        return true;
      }
      case 'S':
        *v = amf0::Value::String(std::move(data));
        return true;
      default:  // 'Z': any data is ignored, as librtmp does
        *v = amf0::Value::Null();
        return true;
    }
  }

  bool finish(std::vector<amf0::Value>* out, std::string* error) {
    if (!open_.empty())
      return fail(error, std::to_string(open_.size()) +
                             " conn object(s) begun with O:1 not ended with O:0");
    *out = std::move(top_);
    return true;
  }

 private:
  struct Frame {
    std::string name;
    bool named = false;
    std::vector<amf0::Property> props;
  };

  static bool is_type(char c) { return c == 'B' || c == 'N' || c == 'S' || c == 'O' || c == 'Z'; }

  // Top-level values are unnamed; object members must be named.
  bool check_naming(bool named, const std::string& shown, std::string* error) const {
    if (open_.empty() && named)
      return fail(error, "'" + shown + "': a named value (N prefix) is only allowed inside an " +
                             "object (after conn=O:1)");
    if (!open_.empty() && !named)
      return fail(error, "'" + shown + "': values inside an object need a name (NB:, NN:, NS:, " +
                             "NO:, NZ: with NAME:VALUE)");
    return true;
  }

  bool place(std::string name, bool named, amf0::Value v, const std::string& shown,
             std::string* error) {
    if (!check_naming(named, shown, error)) return false;
    if (open_.empty())
      top_.push_back(std::move(v));
    else
      open_.back().props.emplace_back(std::move(name), std::move(v));
    return true;
  }

  std::vector<Frame> open_;
  std::vector<amf0::Value> top_;
};

// Calls f(key, raw_value) for each whitespace-separated key=value token.
template <typename F>
bool for_each_option(std::string_view options, std::string* error, F&& f) {
  size_t i = 0;
  while (i < options.size()) {
    if (is_space(options[i])) {
      i++;
      continue;
    }
    size_t end = i;
    while (end < options.size() && !is_space(options[end])) end++;
    std::string_view token = options.substr(i, end - i);
    i = end;
    size_t eq = token.find('=');
    if (eq == std::string_view::npos)
      return fail(error, "option '" + std::string(token) + "' is not of the form key=value");
    if (eq == 0) return fail(error, "option '" + std::string(token) + "' has no key");
    if (!f(token.substr(0, eq), token.substr(eq + 1))) return false;
  }
  return true;
}

// librtmp options that this client does not implement, and what to do instead.
const char* unsupported_librtmp_key(const std::string& key) {
  static const std::pair<const char*, const char*> kKeys[] = {
      {"playlist", "server-side playlists are not supported"},
      {"stop", "stopping at a position is not supported"},
      {"swfhash", "SWF verification is obsolete and not performed"},
      {"swfsize", "SWF verification is obsolete and not performed"},
      {"socks", "use the proxy property (socks4://host:port) instead"},
      {"jtv", "Justin.tv authentication is not supported"},
      {"weeb", "Weeb authentication is not supported"},
  };
  for (const auto& [k, why] : kKeys)
    if (key == k) return why;
  return nullptr;
}

bool parse_uint32_option(const std::string& shown, const std::string& value, const char* unit,
                         std::optional<uint32_t>* out, std::string* error) {
  uint32_t v = 0;
  if (!parse_uint32(value, &v))
    return fail(error,
                "option '" + shown + "=" + value + "': expected whole " + unit + " (0 or more)");
  *out = v;
  return true;
}

}  // namespace

SplitLocation split_location(std::string_view text) {
  text = trim(text);
  size_t end = 0;
  while (end < text.size() && !is_space(text[end])) end++;
  return SplitLocation{std::string(text.substr(0, end)), std::string(trim(text.substr(end)))};
}

std::optional<UrlOptions> parse_url_options(std::string_view options, std::string* error) {
  UrlOptions out;
  ConnBuilder conn;
  bool ok = for_each_option(options, error, [&](std::string_view key, std::string_view raw) {
    const std::string k = lower(key);
    const std::string shown(key);
    if (k == "conn") return conn.add(raw, error);
    std::string value;
    if (!unescape(raw, shown, &value, error)) return false;
    auto set = [&](std::optional<std::string>& field) {
      field = std::move(value);
      return true;
    };
    if (k == "app") return set(out.app);
    if (k == "playpath") return set(out.playpath);
    if (k == "tcurl") return set(out.tc_url);
    if (k == "pageurl") return set(out.page_url);
    if (k == "swfurl") return set(out.swf_url);
    if (k == "flashver") return set(out.flash_ver);
    if (k == "token") return set(out.token);
    if (k == "subscribe") return set(out.subscribe);
    if (k == "live") {
      bool b = false;
      if (!parse_bool(value, &b))
        return fail(error, "option 'live=" + value + "': expected 0 or 1 (or yes/no, true/false)");
      out.live = b;
      return true;
    }
    if (k == "timeout") return parse_uint32_option(shown, value, "seconds", &out.timeout_s, error);
    if (k == "buffer")
      return parse_uint32_option(shown, value, "milliseconds", &out.buffer_ms, error);
    if (k == "start") return parse_uint32_option(shown, value, "seconds", &out.start_s, error);
    if (k == "swfvfy" || k == "swfage") {
      bool b = true;
      uint32_t days = 0;
      if (k == "swfvfy" && !parse_bool(value, &b))
        return fail(error, "option '" + shown + "=" + value + "': expected 0 or 1");
      if (k == "swfage" && !parse_uint32(value, &days))
        return fail(error, "option '" + shown + "=" + value + "': expected whole days");
      out.swf_verify = out.swf_verify || b;
      if (b)
        out.notes.push_back(shown + "=" + value +
                            ": SWF verification is obsolete (no server checks it since Flash "
                            "ended); accepted, not performed");
      return true;
    }
    if (const char* why = unsupported_librtmp_key(k))
      return fail(error, "librtmp option '" + shown + "' is not supported: " + why);
    return fail(error, "unknown option '" + shown +
                           "' (known: app, playpath, tcUrl, pageUrl, swfUrl, flashVer, conn, "
                           "live, subscribe, buffer, start, token, timeout, swfVfy, swfAge)");
  });
  if (!ok || !conn.finish(&out.conn_args, error)) return std::nullopt;
  return out;
}

std::optional<std::vector<amf0::Value>> parse_conn_options(std::string_view options,
                                                           std::string* error) {
  ConnBuilder conn;
  bool ok = for_each_option(options, error, [&](std::string_view key, std::string_view raw) {
    if (lower(key) != "conn")
      return fail(error, "option '" + std::string(key) + "': only conn=TYPE:VALUE is allowed here");
    return conn.add(raw, error);
  });
  std::vector<amf0::Value> out;
  if (!ok || !conn.finish(&out, error)) return std::nullopt;
  return out;
}

}  // namespace rtmp
