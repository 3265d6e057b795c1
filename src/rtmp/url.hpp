// RTMP URL parsing: rtmp[s|t|ts]://[user[:pass]@]host[:port]/app[/more]/stream[?query].
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rtmp {

// The URL schemes, and what each implies (like rtmp2's GstRtmpScheme): TLS for rtmps and
// rtmpts, the HTTP tunnel for rtmpt and rtmpts.
enum class Scheme { kRtmp = 0, kRtmps = 1, kRtmpt = 2, kRtmpts = 3 };  // rtmp2's numbers first

const char* scheme_name(Scheme s);  // "rtmp", "rtmps", "rtmpt", "rtmpts"
// Case-insensitive; nullopt for any other scheme.
std::optional<Scheme> parse_scheme(std::string_view name);
uint16_t default_port(Scheme s);  // 1935, 443, 80, 443
inline bool uses_tls(Scheme s) {
  return s == Scheme::kRtmps || s == Scheme::kRtmpts;
}
inline bool uses_tunnel(Scheme s) {
  return s == Scheme::kRtmpt || s == Scheme::kRtmpts;
}

struct Url {
  Scheme scheme = Scheme::kRtmp;
  std::string host;   // IPv6 literal without brackets
  uint16_t port = 0;  // explicit, else the scheme's default (1935, 443, 80, 443)
  bool port_explicit = false;
  std::string user, password;  // percent-decoded userinfo, may be empty
  std::string application;     // path between the host and the last '/' (may contain '/')
  std::string stream;          // after the last '/', including any "?query"

  // scheme://host[:port]/application: IPv6 in brackets, port only when explicit, no credentials.
  std::string tc_url() const;
  // The full URL. By default the password is left out ("rtmp://user@host/app/stream"), so the
  // result is safe for logs and error messages. Userinfo is percent-encoded again.
  std::string to_string(bool with_password = false) const;

  bool operator==(const Url&) const = default;
};

// `text` (a URL that may not parse) without the password of its userinfo, for messages:
// "rtmp://bob:secret@h/a" -> "rtmp://bob@h/a". Text without "://" or userinfo is unchanged.
std::string without_password(std::string_view text);

// Parses an RTMP URL; on failure returns nullopt and, if `error` is non-null, sets a message.
// Surrounding whitespace is trimmed and the scheme is case-insensitive. The path is split on the
// last '/' before any '?', so a query containing '/' stays in the stream ("app/inst" +
// "stream?x=1/2"). When the path has no '/' at all ("rtmp://h/app?x"), the whole path, query
// included, is the application and the stream is empty. A missing stream ("rtmp://h/app",
// "rtmp://h/app/") is not an error here. A '%' not followed by two hex digits in the userinfo is
// kept literally.
std::optional<Url> parse_url(std::string_view text, std::string* error);

}  // namespace rtmp
