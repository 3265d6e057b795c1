#include "rtmp/url.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "util/strings.hpp"

namespace rtmp {
namespace {

using util::is_space;
using util::percent_decode;
using util::trim;

// Encodes everything but RFC 3986 unreserved characters and sub-delims (so ':' and '@' too).
std::string percent_encode_userinfo(std::string_view s) {
  static constexpr std::string_view kKeep = "-._~!$&'()*+,;=";
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (alnum || kKeep.find(c) != std::string_view::npos) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

bool fail(std::string* error, std::string text) {
  if (error != nullptr) *error = std::move(text);
  return false;
}

bool take_scheme(std::string_view* rest, Url& url, std::string* error) {
  const size_t sep = rest->find("://");
  if (sep == std::string_view::npos) {
    return fail(error, "missing scheme: expected rtmp://, rtmps://, rtmpt:// or rtmpts://");
  }
  const std::string_view name = rest->substr(0, sep);
  if (name.empty()) return fail(error, "missing scheme before \"://\"");
  const std::optional<Scheme> scheme = parse_scheme(name);
  if (!scheme) {
    return fail(error, "unknown scheme \"" + util::lower(name) +
                           "\": expected rtmp, rtmps, rtmpt or rtmpts");
  }
  url.scheme = *scheme;
  url.port = default_port(url.scheme);
  rest->remove_prefix(sep + 3);
  return true;
}

bool parse_port(std::string_view text, Url& url, std::string* error) {
  if (text.empty()) return fail(error, "missing port number after ':'");
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') {
      return fail(error, "bad port \"" + std::string(text) + "\": not a number");
    }
    value = value * 10 + static_cast<uint32_t>(c - '0');
    if (value > 65535) return fail(error, "bad port \"" + std::string(text) + "\": above 65535");
  }
  if (value == 0) return fail(error, "bad port 0");
  url.port = static_cast<uint16_t>(value);
  url.port_explicit = true;
  return true;
}

// Parses "host[:port]" or "[v6]:port".
bool parse_host_port(std::string_view hostport, Url& url, std::string* error) {
  std::string_view port;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    const size_t close = hostport.find(']');
    if (close == std::string_view::npos) return fail(error, "unterminated '[' in host");
    url.host = hostport.substr(1, close - 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return fail(error, "unexpected characters after ']' in host");
      port = after.substr(1);
      has_port = true;
    }
  } else {
    const size_t colon = hostport.find(':');
    if (colon != std::string_view::npos &&
        hostport.find(':', colon + 1) != std::string_view::npos) {
      return fail(error, "IPv6 addresses must be in brackets, e.g. rtmp://[::1]/app/stream");
    }
    url.host = hostport.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = hostport.substr(colon + 1);
      has_port = true;
    }
  }
  if (url.host.empty()) return fail(error, "empty host");
  for (char c : url.host) {
    if (is_space(c) || static_cast<unsigned char>(c) < 0x20 || c == '[' || c == ']') {
      return fail(error, "invalid character in host \"" + url.host + "\"");
    }
  }
  return !has_port || parse_port(port, url, error);
}

// Splits "app[/more]/stream[?query]" on the last '/' before any '?'.
bool parse_path(std::string_view path, Url& url, std::string* error) {
  const std::string_view before_query = path.substr(0, path.find('?'));
  const size_t slash = before_query.rfind('/');
  if (slash == std::string_view::npos) {
    if (before_query.empty()) return fail(error, "no application in URL path");
    url.application = path;
    return true;
  }
  if (slash == 0) return fail(error, "no application in URL path");
  url.application = path.substr(0, slash);
  url.stream = path.substr(slash + 1);
  return true;
}

}  // namespace

const char* scheme_name(Scheme s) {
  switch (s) {
    case Scheme::kRtmp:
      return "rtmp";
    case Scheme::kRtmps:
      return "rtmps";
    case Scheme::kRtmpt:
      return "rtmpt";
    case Scheme::kRtmpts:
      return "rtmpts";
  }
  return "rtmp";
}

std::optional<Scheme> parse_scheme(std::string_view name) {
  for (Scheme s : {Scheme::kRtmp, Scheme::kRtmps, Scheme::kRtmpt, Scheme::kRtmpts})
    if (util::iequals(name, scheme_name(s))) return s;
  return std::nullopt;
}

uint16_t default_port(Scheme s) {
  switch (s) {
    case Scheme::kRtmp:
      return 1935;
    case Scheme::kRtmpt:
      return 80;
    case Scheme::kRtmps:
    case Scheme::kRtmpts:
      return 443;
  }
  return 1935;
}

std::string without_password(std::string_view text) {
  const size_t start = text.find("://");
  if (start == std::string_view::npos) return std::string(text);
  const size_t authority = start + 3;
  const size_t end = std::min(text.find_first_of("/?", authority), text.size());
  const size_t at = text.rfind('@', end);
  if (at == std::string_view::npos || at < authority) return std::string(text);
  const size_t colon = text.find(':', authority);
  if (colon == std::string_view::npos || colon > at) return std::string(text);
  return std::string(text.substr(0, colon)) + std::string(text.substr(at));
}

std::optional<Url> parse_url(std::string_view text, std::string* error) {
  Url url;
  std::string_view rest = trim(text);
  if (!take_scheme(&rest, url, error)) return std::nullopt;

  const size_t authority_end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, authority_end);
  const size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    const std::string_view userinfo = authority.substr(0, at);
    const size_t colon = userinfo.find(':');
    url.user = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) url.password = percent_decode(userinfo.substr(colon + 1));
    authority.remove_prefix(at + 1);
  }
  if (!parse_host_port(authority, url, error)) return std::nullopt;

  if (authority_end == std::string_view::npos || rest[authority_end] != '/') {
    fail(error, std::string("no application in URL (expected ") + scheme_name(url.scheme) +
                    "://host/app/stream)");
    return std::nullopt;
  }
  if (!parse_path(rest.substr(authority_end + 1), url, error)) return std::nullopt;
  return url;
}

std::string Url::tc_url() const {
  std::string out = std::string(scheme_name(scheme)) + "://";
  if (host.find(':') != std::string::npos) {
    out += "[" + host + "]";
  } else {
    out += host;
  }
  if (port_explicit) out += ":" + std::to_string(port);
  out += "/" + application;
  return out;
}

std::string Url::to_string(bool with_password) const {
  const std::string prefix = std::string(scheme_name(scheme)) + "://";
  std::string out = prefix;
  if (!user.empty() || (with_password && !password.empty())) {
    out += percent_encode_userinfo(user);
    if (with_password && !password.empty()) out += ":" + percent_encode_userinfo(password);
    out += "@";
  }
  const std::string tc = tc_url();
  out += tc.substr(prefix.size());
  if (!stream.empty()) out += "/" + stream;
  return out;
}

}  // namespace rtmp
