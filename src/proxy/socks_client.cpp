#include "proxy/socks_client.hpp"

#include <algorithm>
#include <vector>

#include "util/strings.hpp"

namespace rtmp::socks {

namespace {

using util::hex_value;
using util::is_digit;
using util::lower;
using util::percent_decode;
using util::trim;

constexpr uint8_t kSocks5 = 5;
constexpr uint8_t kMethodNone = 0x00;
constexpr uint8_t kMethodUserPass = 0x02;
constexpr uint8_t kMethodNoneAcceptable = 0xFF;
constexpr uint8_t kAtypIpv4 = 1;
constexpr uint8_t kAtypDomain = 3;
constexpr uint8_t kAtypIpv6 = 4;
constexpr uint8_t kSocks4Granted = 90;
constexpr size_t kMaxField = 255;  // one length byte (RFC 1928/1929); SOCKS4 user id bound

std::string percent_encode(std::string_view s) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 is_digit(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
    if (plain) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string host_port(const std::string& host, uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

const char* scheme_name(Version v) {
  switch (v) {
    case Version::kSocks5:
      return "socks5";
    case Version::kSocks4a:
      return "socks4a";
    case Version::kSocks4:
      return "socks4";
  }
  return "socks5";
}

std::optional<Version> scheme_version(const std::string& scheme) {
  if (scheme == "socks5" || scheme == "socks5h" || scheme == "socks") return Version::kSocks5;
  if (scheme == "socks4a") return Version::kSocks4a;
  if (scheme == "socks4") return Version::kSocks4;
  return std::nullopt;
}

bool set_error(std::string* error, std::string message) {
  if (error) *error = std::move(message);
  return false;
}

std::optional<uint16_t> parse_port(std::string_view s) {
  if (s.empty() || s.size() > 5) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    if (!is_digit(c)) return std::nullopt;
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (v == 0 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

bool valid_host_chars(std::string_view host) {
  return std::none_of(host.begin(), host.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u <= 0x20 || u == 0x7F || c == '[' || c == ']' || c == '@';
  });
}

// "host[:port]" or "[v6][:port]" into url.host / url.port.
bool parse_host_port(std::string_view s, ProxyUrl& url, std::string* error) {
  std::string_view port_text;
  bool has_port = false;
  if (!s.empty() && s[0] == '[') {
    size_t close = s.find(']');
    if (close == std::string_view::npos)
      return set_error(error, "missing ']' after the IPv6 proxy address");
    std::string_view inside = s.substr(1, close - 1);
    if (!parse_ipv6(inside))
      return set_error(error, "'" + std::string(inside) + "' in brackets is not an IPv6 address");
    url.host = std::string(inside);
    std::string_view rest = s.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':')
        return set_error(error, "unexpected '" + std::string(rest) + "' after the proxy address");
      has_port = true;
      port_text = rest.substr(1);
    }
  } else {
    size_t colon = s.find(':');
    if (colon != std::string_view::npos && s.find(':', colon + 1) != std::string_view::npos)
      return set_error(error, "an IPv6 proxy address goes in brackets, as in socks5://[::1]:1080");
    url.host = std::string(s.substr(0, colon));
    if (colon != std::string_view::npos) {
      has_port = true;
      port_text = s.substr(colon + 1);
    }
    if (!valid_host_chars(url.host)) return set_error(error, "invalid character in the proxy host");
  }
  if (url.host.empty()) return set_error(error, "the proxy host is missing");
  if (has_port) {
    if (port_text.empty()) return set_error(error, "the proxy port is missing after ':'");
    auto port = parse_port(port_text);
    if (!port)
      return set_error(error,
                       "invalid proxy port '" + std::string(port_text) + "' (expected 1 to 65535)");
    url.port = *port;
  }
  return true;
}

const char* socks5_reply_text(uint8_t code) {
  switch (code) {
    case 1:
      return "general SOCKS server failure";
    case 2:
      return "connection not allowed by the proxy's rules";
    case 3:
      return "network unreachable";
    case 4:
      return "host unreachable";
    case 5:
      return "connection refused";
    case 6:
      return "TTL expired";
    case 7:
      return "command not supported";
    case 8:
      return "address type not supported";
    default:
      return "unknown error";
  }
}

const char* socks4_reply_text(uint8_t code) {
  switch (code) {
    case 91:
      return "request rejected or failed";
    case 92:
      return "the proxy could not reach an identd on this machine";
    case 93:
      return "the identd reported a different user id";
    default:
      return nullptr;
  }
}

// Size of a complete SOCKS5 connect reply whose first 5 bytes are in `r`; 0: unknown type.
size_t connect_reply_size(const Bytes& r) {
  switch (r[3]) {
    case kAtypIpv4:
      return 4 + 4 + 2;
    case kAtypIpv6:
      return 4 + 16 + 2;
    case kAtypDomain:
      return 4 + 1 + size_t{r[4]} + 2;
    default:
      return 0;
  }
}

std::string ipv4_text(const uint8_t* p) {
  return std::to_string(p[0]) + "." + std::to_string(p[1]) + "." + std::to_string(p[2]) + "." +
         std::to_string(p[3]);
}

std::string ipv6_text(const uint8_t* p) {
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; i += 2) {
    if (i) out.push_back(':');
    unsigned v = (unsigned{p[i]} << 8) | p[i + 1];
    bool started = false;
    for (int shift = 12; shift >= 0; shift -= 4) {
      unsigned d = (v >> shift) & 15;
      if (d || started || shift == 0) {
        out.push_back(kHex[d]);
        started = true;
      }
    }
  }
  return out;
}

// The bound address of a complete SOCKS5 connect reply, "host:port".
std::string bound_text(const Bytes& r) {
  size_t n = r.size();
  uint16_t port = get_u16be(&r[n - 2]);
  if (r[3] == kAtypIpv4) return host_port(ipv4_text(&r[4]), port);
  if (r[3] == kAtypIpv6) return host_port(ipv6_text(&r[4]), port);
  return host_port(std::string(r.begin() + 5, r.end() - 2), port);
}

}  // namespace

const char* version_name(Version v) {
  switch (v) {
    case Version::kSocks5:
      return "SOCKS5";
    case Version::kSocks4a:
      return "SOCKS4a";
    case Version::kSocks4:
      return "SOCKS4";
  }
  return "SOCKS5";
}

std::string ProxyUrl::where() const {
  return host_port(host, port);
}

std::string ProxyUrl::safe_text() const {
  std::string userinfo = user.empty() ? "" : percent_encode(user) + "@";
  return std::string(scheme_name(version)) + "://" + userinfo + where();
}

std::optional<ProxyUrl> parse_proxy_url(std::string_view text, std::string* error) {
  text = trim(text);
  const char* expected = "expected socks5://, socks4a:// or socks4://";
  size_t sep = text.find("://");
  std::string scheme = sep == std::string_view::npos ? "" : lower(text.substr(0, sep));
  bool plain = !scheme.empty() && std::all_of(scheme.begin(), scheme.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '+' || c == '-' || c == '.';
  });
  if (!plain) {
    set_error(error, std::string("the proxy URL has no scheme: ") + expected);
    return std::nullopt;
  }
  auto version = scheme_version(scheme);
  if (!version) {
    set_error(error, "unsupported proxy scheme '" + scheme + "://': " + expected);
    return std::nullopt;
  }
  ProxyUrl url;
  url.version = *version;
  std::string_view rest = text.substr(sep + 3);
  size_t at = rest.rfind('@');
  std::string_view hostport = at == std::string_view::npos ? rest : rest.substr(at + 1);
  if (!hostport.empty() && hostport.back() == '/') hostport.remove_suffix(1);
  if (hostport.find_first_of("/?#") != std::string_view::npos) {
    set_error(error,
              "a proxy URL has no path or query: expected scheme://[user:password@]host[:port]");
    return std::nullopt;
  }
  if (at != std::string_view::npos) {
    std::string_view userinfo = rest.substr(0, at);
    size_t colon = userinfo.find(':');
    url.user = percent_decode(userinfo.substr(0, colon));
    if (colon != std::string_view::npos) {
      url.has_password = true;
      url.password = percent_decode(userinfo.substr(colon + 1));
    }
  }
  if (!parse_host_port(hostport, url, error)) return std::nullopt;
  return url;
}

std::string request_problem(const Request& r) {
  const bool v4 = parse_ipv4(r.host).has_value();
  const bool v6 = parse_ipv6(r.host).has_value();
  const std::string target = host_port(r.host, r.port);
  if (r.host.empty()) return "no server host to connect to through the proxy";
  if (r.version == Version::kSocks5) {
    if (!v4 && !v6 && r.host.size() > kMaxField)
      return "the server name is longer than 255 bytes, more than SOCKS5 can carry";
    if (r.user.empty() && !r.password.empty())
      return "the proxy URL has a password but no username";
    if (r.user.size() > kMaxField) return "the proxy username is longer than 255 bytes";
    if (r.password.size() > kMaxField) return "the proxy password is longer than 255 bytes";
    return {};
  }
  const char* name = version_name(r.version);
  if (!r.password.empty())
    return std::string(name) +
           " proxies take a user id but no password: use socks5:// for username/password "
           "authentication";
  if (r.user.size() > kMaxField) return "the SOCKS4 user id is longer than 255 bytes";
  if (r.user.find('\0') != std::string::npos) return "the SOCKS4 user id contains a NUL byte";
  if (v6) return std::string(name) + " cannot reach the IPv6 address " + target + ": use socks5://";
  if (r.version == Version::kSocks4 && !v4)
    return "SOCKS4 needs an IPv4 address for the server, not '" + r.host +
           "': use socks4a:// (or socks5://) to let the proxy resolve the name";
  if (r.host.size() > kMaxField) return "the server name is longer than 255 bytes";
  if (r.host.find('\0') != std::string::npos) return "the server name contains a NUL byte";
  return {};
}

ClientNegotiator::ClientNegotiator(Request request) : request_(std::move(request)) {}

std::string ClientNegotiator::target_where() const {
  return host_port(request_.host, request_.port);
}

ClientNegotiator::Status ClientNegotiator::fail(Failure f, std::string message) {
  phase_ = Phase::kError;
  failure_ = f;
  error_ = std::move(message);
  reply_.clear();
  return Status::kError;
}

ClientNegotiator::Status ClientNegotiator::malformed(const std::string& detail) {
  std::string name = version_name(request_.version);
  return fail(Failure::kMalformed, "proxy " + request_.proxy_where + " sent an invalid " + name +
                                       " reply (" + detail + "): not a " + name + " proxy?");
}

ClientNegotiator::Status ClientNegotiator::start(Bytes& out) {
  if (phase_ == Phase::kError) return Status::kError;
  if (phase_ != Phase::kIdle) return phase_ == Phase::kDone ? Status::kDone : Status::kNeedMore;
  std::string problem = request_problem(request_);
  if (!problem.empty()) return fail(Failure::kBadRequest, std::move(problem));
  if (request_.version != Version::kSocks5) {
    append_socks4(out);
    phase_ = Phase::kSocks4Reply;
    return Status::kNeedMore;
  }
  bool credentials = !request_.user.empty();
  put_u8(out, kSocks5);
  put_u8(out, credentials ? 2 : 1);
  put_u8(out, kMethodNone);
  if (credentials) put_u8(out, kMethodUserPass);
  phase_ = Phase::kMethod;
  return Status::kNeedMore;
}

void ClientNegotiator::append_auth(Bytes& out) const {
  put_u8(out, 1);  // RFC 1929 sub-negotiation version
  put_u8(out, static_cast<uint8_t>(request_.user.size()));
  out.insert(out.end(), request_.user.begin(), request_.user.end());
  put_u8(out, static_cast<uint8_t>(request_.password.size()));
  out.insert(out.end(), request_.password.begin(), request_.password.end());
}

void ClientNegotiator::append_connect(Bytes& out) const {
  put_u8(out, kSocks5);
  put_u8(out, 1);  // CONNECT
  put_u8(out, 0);
  if (auto v4 = parse_ipv4(request_.host)) {
    put_u8(out, kAtypIpv4);
    out.insert(out.end(), v4->begin(), v4->end());
  } else if (auto v6 = parse_ipv6(request_.host)) {
    put_u8(out, kAtypIpv6);
    out.insert(out.end(), v6->begin(), v6->end());
  } else {
    put_u8(out, kAtypDomain);
    put_u8(out, static_cast<uint8_t>(request_.host.size()));
    out.insert(out.end(), request_.host.begin(), request_.host.end());
  }
  put_u16be(out, request_.port);
}

void ClientNegotiator::append_socks4(Bytes& out) const {
  put_u8(out, 4);
  put_u8(out, 1);  // CONNECT
  put_u16be(out, request_.port);
  auto v4 = parse_ipv4(request_.host);
  if (v4) {
    out.insert(out.end(), v4->begin(), v4->end());
  } else {
    put_u32be(out, 1);  // SOCKS4a: 0.0.0.x, the name follows the user id
  }
  out.insert(out.end(), request_.user.begin(), request_.user.end());
  put_u8(out, 0);
  if (!v4) {
    out.insert(out.end(), request_.host.begin(), request_.host.end());
    put_u8(out, 0);
  }
}

size_t ClientNegotiator::wanted() const {
  switch (phase_) {
    case Phase::kMethod:
    case Phase::kAuth:
      return 2;
    case Phase::kSocks4Reply:
      return reply_.size() < 2 ? 2 : 8;
    case Phase::kConnect:
      if (reply_.size() < 2) return 2;
      if (reply_.size() < 5) return 5;
      return std::max(connect_reply_size(reply_), reply_.size());
    default:
      return 0;
  }
}

ClientNegotiator::Status ClientNegotiator::feed(ByteView in, size_t* consumed, Bytes& out) {
  *consumed = 0;
  if (phase_ == Phase::kError) return Status::kError;
  if (phase_ == Phase::kDone) return Status::kDone;
  if (phase_ == Phase::kIdle) return fail(Failure::kBadRequest, "feed() called before start()");
  size_t used = 0;
  while (used < in.size()) {
    size_t want = wanted();
    size_t take = std::min(want - reply_.size(), in.size() - used);
    reply_.insert(reply_.end(), in.begin() + static_cast<ptrdiff_t>(used),
                  in.begin() + static_cast<ptrdiff_t>(used + take));
    used += take;
    if (reply_.size() < want) break;
    Status s = on_message(out);
    if (s != Status::kNeedMore) {
      *consumed = used;
      return s;
    }
  }
  *consumed = used;
  return Status::kNeedMore;
}

ClientNegotiator::Status ClientNegotiator::on_message(Bytes& out) {
  switch (phase_) {
    case Phase::kMethod:
      return on_method(out);
    case Phase::kAuth:
      return on_auth(out);
    case Phase::kConnect:
      return on_connect_reply();
    case Phase::kSocks4Reply:
      return on_socks4_reply();
    default:
      return Status::kError;
  }
}

ClientNegotiator::Status ClientNegotiator::on_method(Bytes& out) {
  if (reply_[0] != kSocks5)
    return malformed("version " + std::to_string(reply_[0]) + " instead of 5");
  const uint8_t method = reply_[1];
  const bool credentials = !request_.user.empty();
  reply_.clear();
  if (method == kMethodNone) {
    append_connect(out);
    phase_ = Phase::kConnect;
    return Status::kNeedMore;
  }
  if (method == kMethodUserPass && credentials) {
    append_auth(out);
    phase_ = Phase::kAuth;
    return Status::kNeedMore;
  }
  const std::string proxy = "proxy " + request_.proxy_where;
  if (method == kMethodNoneAcceptable && !credentials)
    return fail(Failure::kNoAcceptableMethod,
                proxy + " requires authentication: give user:password@ in the proxy URL");
  if (method == kMethodNoneAcceptable)
    return fail(Failure::kNoAcceptableMethod,
                proxy + " accepts neither username/password nor no authentication");
  return malformed("it chose authentication method " + std::to_string(method) +
                   ", which was not offered");
}

ClientNegotiator::Status ClientNegotiator::on_auth(Bytes& out) {
  // RFC 1929 says version 1; a few servers answer with 5.
  if (reply_[0] != 1 && reply_[0] != kSocks5)
    return malformed("username/password reply version " + std::to_string(reply_[0]));
  const uint8_t status = reply_[1];
  reply_.clear();
  if (status != 0)
    return fail(Failure::kAuthRejected,
                "proxy " + request_.proxy_where + " rejected the username/password of user '" +
                    request_.user + "' (status " + std::to_string(status) + ")");
  append_connect(out);
  phase_ = Phase::kConnect;
  return Status::kNeedMore;
}

ClientNegotiator::Status ClientNegotiator::on_connect_reply() {
  if (reply_[0] != kSocks5)
    return malformed("version " + std::to_string(reply_[0]) + " instead of 5");
  if (reply_[1] != 0)
    return fail(Failure::kRefused, "proxy " + request_.proxy_where + " refused the connection to " +
                                       target_where() + ": " + socks5_reply_text(reply_[1]) +
                                       " (SOCKS5 reply " + std::to_string(reply_[1]) + ")");
  if (reply_.size() < 5) return Status::kNeedMore;
  const size_t total = connect_reply_size(reply_);
  if (total == 0) return malformed("unknown address type " + std::to_string(reply_[3]));
  if (reply_.size() < total) return Status::kNeedMore;
  bound_ = bound_text(reply_);
  reply_.clear();
  phase_ = Phase::kDone;
  return Status::kDone;
}

ClientNegotiator::Status ClientNegotiator::on_socks4_reply() {
  // The reply's version byte is 0; some servers put 4 there.
  if (reply_[0] != 0 && reply_[0] != 4)
    return malformed("version byte " + std::to_string(reply_[0]) + " instead of 0");
  const uint8_t code = reply_[1];
  if (code != kSocks4Granted) {
    const char* text = socks4_reply_text(code);
    if (!text) return malformed("unknown reply code " + std::to_string(code));
    return fail(Failure::kRefused, "proxy " + request_.proxy_where + " refused the connection to " +
                                       target_where() + ": " + text + " (" +
                                       version_name(request_.version) + " reply " +
                                       std::to_string(code) + ")");
  }
  if (reply_.size() < 8) return Status::kNeedMore;
  bound_ = host_port(ipv4_text(&reply_[4]), get_u16be(&reply_[2]));
  reply_.clear();
  phase_ = Phase::kDone;
  return Status::kDone;
}

std::string ClientNegotiator::waiting_for() const {
  std::string proxy =
      std::string("the ") + version_name(request_.version) + " proxy " + request_.proxy_where;
  switch (phase_) {
    case Phase::kMethod:
      return proxy + " to answer the greeting";
    case Phase::kAuth:
      return proxy + " to accept the username/password";
    case Phase::kConnect:
    case Phase::kSocks4Reply:
      return proxy + " to connect to " + target_where();
    default:
      return proxy;
  }
}

}  // namespace rtmp::socks
