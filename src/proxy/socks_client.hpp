// SOCKS client side, sans-I/O: the proxy URL parser and the negotiator that asks a SOCKS5
// (RFC 1928, with RFC 1929 username/password), SOCKS4a or SOCKS4 proxy to connect us to a host.
//
// Wire formats, client first:
//   SOCKS5  greeting  05 n methods...            reply 05 method (00 none, 02 user/pass, FF none
//   ok)
//           user/pass 01 ulen user plen pass     reply 01 status (00 = accepted)
//           connect   05 01 00 atyp addr port    reply 05 rep 00 atyp addr port (rep 00 = granted)
//                     atyp 01 IPv4 (4 bytes), 03 domain (length byte + name), 04 IPv6 (16 bytes)
//   SOCKS4  connect   04 01 port ip userid 00    reply 00 cd port ip (cd 90 = granted)
//   SOCKS4a           ip 0.0.0.1, then after the user id: domain 00 (the proxy resolves it)
// Messages never contain the proxy password.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proxy/ip_literal.hpp"
#include "util/bytes.hpp"

namespace rtmp::socks {

enum class Version { kSocks5, kSocks4a, kSocks4 };

inline constexpr uint16_t kDefaultPort = 1080;

// "SOCKS5", "SOCKS4a", "SOCKS4".
const char* version_name(Version v);

struct ProxyUrl {
  Version version = Version::kSocks5;
  std::string host;  // IPv6 literal without brackets
  uint16_t port = kDefaultPort;
  std::string user, password;  // percent-decoded
  bool has_password = false;   // "user:@host" has an (empty) password, "user@host" none

  // "host:port" ("[::1]:1080" for IPv6), for messages.
  std::string where() const;
  // "socks5://user@host:port": the URL without the password, for logs.
  std::string safe_text() const;
};

// Parses "socks5://[user[:password]@]host[:port]" (also "socks5h://" and "socks://" for SOCKS5),
// "socks4a://[userid@]host[:port]" and "socks4://[userid@]host[:port]". The scheme is
// case-insensitive, surrounding whitespace and one trailing '/' are ignored, IPv6 hosts go in
// brackets, the port defaults to 1080. On failure returns nullopt and sets *error (if non-null)
// to a message that never repeats the userinfo.
std::optional<ProxyUrl> parse_proxy_url(std::string_view text, std::string* error);

// What to ask the proxy for.
struct Request {
  Version version = Version::kSocks5;
  std::string proxy_where;  // the proxy's "host:port", for messages
  std::string host;         // the target: a name, an IPv4 or an IPv6 literal (no brackets)
  uint16_t port = 0;
  std::string user, password;  // SOCKS5: RFC 1929 credentials when user is set; SOCKS4: user id
};

// Why `r` cannot be sent (empty when it can): SOCKS4 without an IPv4 literal, a SOCKS4 password,
// an IPv6 target for SOCKS4a, over-long names or credentials, NUL bytes in SOCKS4 strings.
std::string request_problem(const Request& r);

// Drives one negotiation. Usage: start() once and send what it appended; then feed every byte
// the proxy sends, send what feed() appends, until kDone (bytes after the final reply are left
// unconsumed: they belong to the tunnelled protocol) or kError.
class ClientNegotiator {
 public:
  enum class Status { kNeedMore, kDone, kError };
  enum class Failure {
    kNone,
    kBadRequest,          // request_problem() (nothing was sent)
    kMalformed,           // the peer does not speak the protocol
    kNoAcceptableMethod,  // SOCKS5: none of the offered authentication methods
    kAuthRejected,        // SOCKS5: the username/password was refused
    kRefused,             // the proxy could not or would not connect to the target
  };

  explicit ClientNegotiator(Request request);

  // Appends the first message (SOCKS5 greeting, SOCKS4 request). kNeedMore, or kError when the
  // request cannot be sent. Call once.
  Status start(Bytes& out);
  // *consumed = bytes used, never more than the negotiation's own. kError is sticky.
  Status feed(ByteView in, size_t* consumed, Bytes& out);

  const std::string& error() const { return error_; }
  Failure failure() const { return failure_; }
  // What the negotiation waits for: "the SOCKS5 proxy 127.0.0.1:1080 to connect to h:1935".
  std::string waiting_for() const;
  // The address the proxy reported it connects from (informational), once done.
  const std::string& bound_address() const { return bound_; }

 private:
  enum class Phase { kIdle, kMethod, kAuth, kConnect, kSocks4Reply, kDone, kError };

  size_t wanted() const;
  Status on_message(Bytes& out);
  Status on_method(Bytes& out);
  Status on_auth(Bytes& out);
  Status on_connect_reply();
  Status on_socks4_reply();
  void append_auth(Bytes& out) const;
  void append_connect(Bytes& out) const;
  void append_socks4(Bytes& out) const;
  Status fail(Failure f, std::string message);
  Status malformed(const std::string& detail);
  std::string target_where() const;

  Request request_;
  Phase phase_ = Phase::kIdle;
  Bytes reply_;  // the message being received
  std::string error_;
  Failure failure_ = Failure::kNone;
  std::string bound_;
};

}  // namespace rtmp::socks
