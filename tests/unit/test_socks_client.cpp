#include "proxy/socks_client.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace rtmp::socks {
namespace {

using Status = ClientNegotiator::Status;
using Failure = ClientNegotiator::Failure;

constexpr const char* kSecret = "s3cr3t-pw";

Bytes bytes(std::initializer_list<int> values) {
  Bytes b;
  for (int v : values) b.push_back(static_cast<uint8_t>(v));
  return b;
}

Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Request request(Version v, std::string host, uint16_t port = 1935, std::string user = {},
                std::string password = {}) {
  Request r;
  r.version = v;
  r.proxy_where = "127.0.0.1:1080";
  r.host = std::move(host);
  r.port = port;
  r.user = std::move(user);
  r.password = std::move(password);
  return r;
}

struct Outcome {
  Status status = Status::kNeedMore;
  size_t consumed = 0;
  Bytes out;  // everything the client sent, start() included
  std::string error;
  Failure failure = Failure::kNone;
  std::string bound;
  bool operator==(const Outcome&) const = default;
};

// Runs a negotiation with the proxy's whole byte stream `server`, cut at `cuts` (ascending
// positions); after each piece the bytes the negotiator left are offered again with the next
// piece, as a caller with a receive buffer would.
Outcome drive(const Request& r, const Bytes& server, const std::vector<size_t>& cuts) {
  ClientNegotiator n(r);
  Outcome o;
  o.status = n.start(o.out);
  if (o.status == Status::kError) {
    o.error = n.error();
    o.failure = n.failure();
    return o;
  }
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(server.size());
  for (size_t end : ends) {
    size_t consumed = SIZE_MAX;
    o.status = n.feed(ByteView(server.data() + from, end - from), &consumed, o.out);
    EXPECT_LE(consumed, end - from);
    from += consumed;
    if (o.status != Status::kNeedMore) break;
    EXPECT_EQ(from, end) << "a negotiator that needs more must take everything offered";
  }
  o.consumed = from;
  o.error = n.error();
  o.failure = n.failure();
  o.bound = n.bound_address();
  return o;
}

Outcome whole(const Request& r, const Bytes& server) {
  return drive(r, server, {});
}

// The same outcome whether the proxy's bytes come at once, split in two at every position, or
// one byte at a time.
Outcome expect_same_at_every_split(const Request& r, const Bytes& server) {
  const Outcome all = whole(r, server);
  for (size_t split = 0; split <= server.size(); split++)
    EXPECT_EQ(drive(r, server, {split}), all) << "split at " << split;
  std::vector<size_t> each;
  for (size_t i = 1; i < server.size(); i++) each.push_back(i);
  EXPECT_EQ(drive(r, server, each), all) << "byte by byte";
  return all;
}

const Bytes kGreetingNoAuth = bytes({5, 1, 0});
const Bytes kGreetingWithAuth = bytes({5, 2, 0, 2});
const Bytes kMethodNone = bytes({5, 0});
const Bytes kMethodUserPass = bytes({5, 2});
const Bytes kGranted = bytes({5, 0, 0, 1, 10, 0, 0, 7, 0x9C, 0x40});  // bound 10.0.0.7:40000

Bytes connect_domain(std::string_view host, uint16_t port) {
  Bytes b = bytes({5, 1, 0, 3, static_cast<int>(host.size())});
  b.insert(b.end(), host.begin(), host.end());
  put_u16be(b, port);
  return b;
}

// ---- SOCKS5 ----------------------------------------------------------------------------------

TEST(Socks5, NoAuthDomainTargetGoesAsAName) {
  const Bytes tail = text("RTMP bytes");
  const Bytes server = cat({kMethodNone, kGranted, tail});
  Outcome o = expect_same_at_every_split(request(Version::kSocks5, "example.com"), server);
  EXPECT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.out, cat({kGreetingNoAuth, connect_domain("example.com", 1935)}));
  EXPECT_EQ(o.consumed, server.size() - tail.size()) << "bytes after the reply are not ours";
  EXPECT_EQ(o.bound, "10.0.0.7:40000");
  EXPECT_TRUE(o.error.empty());
}

TEST(Socks5, Ipv4LiteralTargetGoesAsAnAddress) {
  Outcome o = whole(request(Version::kSocks5, "192.0.2.10", 443), cat({kMethodNone, kGranted}));
  EXPECT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.out, cat({kGreetingNoAuth, bytes({5, 1, 0, 1, 192, 0, 2, 10, 1, 0xBB})}));
}

TEST(Socks5, Ipv6LiteralTargetGoesAsAnAddress) {
  Outcome o = whole(request(Version::kSocks5, "2001:db8::1", 1935), cat({kMethodNone, kGranted}));
  EXPECT_EQ(o.status, Status::kDone);
  Bytes v6 = bytes({5, 1, 0, 4, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  put_u16be(v6, 1935);
  EXPECT_EQ(o.out, cat({kGreetingNoAuth, v6}));
}

TEST(Socks5, UsernamePasswordAuthentication) {
  const Bytes server = cat({kMethodUserPass, bytes({1, 0}), kGranted});
  Outcome o = expect_same_at_every_split(
      request(Version::kSocks5, "example.com", 1935, "alice", kSecret), server);
  EXPECT_EQ(o.status, Status::kDone);
  Bytes auth = cat({bytes({1, 5}), text("alice"), bytes({9}), text(kSecret)});
  EXPECT_EQ(o.out, cat({kGreetingWithAuth, auth, connect_domain("example.com", 1935)}));
  EXPECT_EQ(o.consumed, server.size());
}

TEST(Socks5, AuthReplyWithVersion5IsAccepted) {
  Outcome o = whole(request(Version::kSocks5, "h", 1, "u", "p"),
                    cat({kMethodUserPass, bytes({5, 0}), kGranted}));
  EXPECT_EQ(o.status, Status::kDone);
}

TEST(Socks5, UserWithoutPasswordSendsAnEmptyPassword) {
  Outcome o = whole(request(Version::kSocks5, "h", 1, "u"), cat({kMethodUserPass, bytes({1, 0})}));
  EXPECT_EQ(o.status, Status::kNeedMore);
  EXPECT_EQ(o.out, cat({kGreetingWithAuth, bytes({1, 1, 'u', 0}), connect_domain("h", 1)}));
}

TEST(Socks5, CredentialsOfferedButNotNeeded) {
  Outcome o = whole(request(Version::kSocks5, "h", 1, "u", "p"), cat({kMethodNone, kGranted}));
  EXPECT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.out, cat({kGreetingWithAuth, connect_domain("h", 1)}));
}

TEST(Socks5, BoundAddressOfEveryType) {
  Bytes domain = cat({bytes({5, 0, 0, 3, 9}), text("relay.net"), bytes({0x07, 0x8F})});
  Bytes v6 = bytes({5, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0x04, 0x38});
  Outcome d =
      expect_same_at_every_split(request(Version::kSocks5, "h"), cat({kMethodNone, domain}));
  EXPECT_EQ(d.status, Status::kDone);
  EXPECT_EQ(d.bound, "relay.net:1935");
  Outcome six = expect_same_at_every_split(request(Version::kSocks5, "h"), cat({kMethodNone, v6}));
  EXPECT_EQ(six.status, Status::kDone);
  EXPECT_EQ(six.bound, "[0:0:0:0:0:0:0:1]:1080");
}

TEST(Socks5, LongestDomainName) {
  const std::string host(255, 'a');
  Outcome o = whole(request(Version::kSocks5, host), cat({kMethodNone, kGranted}));
  EXPECT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.out, cat({kGreetingNoAuth, connect_domain(host, 1935)}));
}

TEST(Socks5, EveryReplyCodeHasAMessage) {
  const std::vector<std::pair<int, std::string>> codes = {
      {1, "general SOCKS server failure"},
      {2, "connection not allowed by the proxy's rules"},
      {3, "network unreachable"},
      {4, "host unreachable"},
      {5, "connection refused"},
      {6, "TTL expired"},
      {7, "command not supported"},
      {8, "address type not supported"},
      {9, "unknown error"},
      {255, "unknown error"},
  };
  for (const auto& [code, reason] : codes) {
    // A full failure reply; the negotiator decides after its first two bytes.
    Bytes reply = bytes({5, code, 0, 1, 0, 0, 0, 0, 0, 0});
    Outcome o =
        expect_same_at_every_split(request(Version::kSocks5, "example.com", 1935, "u", kSecret),
                                   cat({kMethodUserPass, bytes({1, 0}), reply}));
    EXPECT_EQ(o.status, Status::kError);
    EXPECT_EQ(o.failure, Failure::kRefused);
    EXPECT_EQ(o.error, "proxy 127.0.0.1:1080 refused the connection to example.com:1935: " +
                           reason + " (SOCKS5 reply " + std::to_string(code) + ")");
    EXPECT_EQ(o.consumed, 2u + 2u + 2u);
  }
}

TEST(Socks5, Ipv6TargetInMessagesHasBrackets) {
  Outcome o = whole(request(Version::kSocks5, "::1", 1935), cat({kMethodNone, bytes({5, 4})}));
  EXPECT_EQ(o.error,
            "proxy 127.0.0.1:1080 refused the connection to [::1]:1935: host unreachable "
            "(SOCKS5 reply 4)");
}

TEST(Socks5, NoAcceptableMethod) {
  Outcome plain = expect_same_at_every_split(request(Version::kSocks5, "h"), bytes({5, 0xFF}));
  EXPECT_EQ(plain.status, Status::kError);
  EXPECT_EQ(plain.failure, Failure::kNoAcceptableMethod);
  EXPECT_EQ(plain.error,
            "proxy 127.0.0.1:1080 requires authentication: give user:password@ in the proxy URL");
  Outcome creds = whole(request(Version::kSocks5, "h", 1, "u", kSecret), bytes({5, 0xFF}));
  EXPECT_EQ(creds.failure, Failure::kNoAcceptableMethod);
  EXPECT_NE(creds.error.find("accepts neither username/password nor no authentication"),
            std::string::npos);
}

TEST(Socks5, AuthRejectedNamesTheUserButNotThePassword) {
  for (int status : {1, 2, 255}) {
    Outcome o = expect_same_at_every_split(request(Version::kSocks5, "h", 1, "alice", kSecret),
                                           cat({kMethodUserPass, bytes({1, status}), kGranted}));
    EXPECT_EQ(o.status, Status::kError);
    EXPECT_EQ(o.failure, Failure::kAuthRejected);
    EXPECT_EQ(o.error,
              "proxy 127.0.0.1:1080 rejected the username/password of user 'alice' "
              "(status " +
                  std::to_string(status) + ")");
    EXPECT_EQ(o.consumed, 4u);
  }
}

struct MalformedCase {
  const char* name;
  Request req;
  Bytes server;
  const char* detail;
};

TEST(Socks5, MalformedReplies) {
  const Request plain = request(Version::kSocks5, "h");
  const Request creds = request(Version::kSocks5, "h", 1, "u", kSecret);
  const std::vector<MalformedCase> cases = {
      {"socks4 reply", plain, bytes({0, 0x5A}), "version 0 instead of 5"},
      {"http server", plain, text("HTTP/1.1 400 Bad Request\r\n"), "version 72 instead of 5"},
      {"method not offered", plain, bytes({5, 2}),
       "it chose authentication method 2, which was not offered"},
      {"gssapi", creds, bytes({5, 1}), "it chose authentication method 1, which was not offered"},
      {"auth version", creds, cat({kMethodUserPass, bytes({7, 0})}),
       "username/password reply version 7"},
      {"connect version", plain, cat({kMethodNone, bytes({4, 0, 0, 1})}), "version 4 instead of 5"},
      {"address type", plain, cat({kMethodNone, bytes({5, 0, 0, 2, 0, 0, 0, 0})}),
       "unknown address type 2"},
  };
  for (const auto& c : cases) {
    Outcome o = expect_same_at_every_split(c.req, c.server);
    EXPECT_EQ(o.status, Status::kError) << c.name;
    EXPECT_EQ(o.failure, Failure::kMalformed) << c.name;
    EXPECT_EQ(o.error, std::string("proxy 127.0.0.1:1080 sent an invalid SOCKS5 reply (") +
                           c.detail + "): not a SOCKS5 proxy?")
        << c.name;
    EXPECT_EQ(o.error.find(kSecret), std::string::npos);
  }
}

// ---- SOCKS4 and SOCKS4a -----------------------------------------------------------------------

TEST(Socks4, RequestWithIpv4AndUserId) {
  const Bytes server = cat({bytes({0, 90, 0x07, 0x8F, 10, 1, 2, 3}), text("tail")});
  Outcome o =
      expect_same_at_every_split(request(Version::kSocks4, "192.0.2.1", 1935, "bob"), server);
  EXPECT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.out, cat({bytes({4, 1, 0x07, 0x8F, 192, 0, 2, 1}), text("bob"), bytes({0})}));
  EXPECT_EQ(o.consumed, 8u);
  EXPECT_EQ(o.bound, "10.1.2.3:1935");
}

TEST(Socks4, ReplyVersion4IsAccepted) {
  Outcome o = whole(request(Version::kSocks4, "192.0.2.1"), bytes({4, 90, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(o.status, Status::kDone);
}

TEST(Socks4a, DomainFollowsTheUserId) {
  Outcome o = expect_same_at_every_split(request(Version::kSocks4a, "example.com", 1935),
                                         bytes({0, 90, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(o.status, Status::kDone);
  EXPECT_EQ(o.out,
            cat({bytes({4, 1, 0x07, 0x8F, 0, 0, 0, 1, 0}), text("example.com"), bytes({0})}));
}

TEST(Socks4a, Ipv4LiteralIsSentAsPlainSocks4) {
  Outcome o = whole(request(Version::kSocks4a, "127.0.0.1", 80), bytes({0, 90, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(o.out, bytes({4, 1, 0, 80, 127, 0, 0, 1, 0}));
}

TEST(Socks4, EveryReplyCodeHasAMessage) {
  const std::vector<std::pair<int, std::string>> codes = {
      {91, "request rejected or failed"},
      {92, "the proxy could not reach an identd on this machine"},
      {93, "the identd reported a different user id"},
  };
  for (Version v : {Version::kSocks4, Version::kSocks4a}) {
    for (const auto& [code, reason] : codes) {
      Outcome o =
          expect_same_at_every_split(request(v, v == Version::kSocks4 ? "10.0.0.1" : "h.example"),
                                     bytes({0, code, 0, 0, 0, 0, 0, 0}));
      EXPECT_EQ(o.status, Status::kError);
      EXPECT_EQ(o.failure, Failure::kRefused);
      std::string target = v == Version::kSocks4 ? "10.0.0.1:1935" : "h.example:1935";
      EXPECT_EQ(o.error, "proxy 127.0.0.1:1080 refused the connection to " + target + ": " +
                             reason + " (" + version_name(v) + " reply " + std::to_string(code) +
                             ")");
      EXPECT_EQ(o.consumed, 2u);
    }
  }
}

TEST(Socks4, MalformedReplies) {
  const Request r = request(Version::kSocks4a, "h.example");
  Outcome v5 = expect_same_at_every_split(r, bytes({5, 0}));
  EXPECT_EQ(v5.failure, Failure::kMalformed);
  EXPECT_EQ(v5.error,
            "proxy 127.0.0.1:1080 sent an invalid SOCKS4a reply (version byte 5 instead of 0): not "
            "a SOCKS4a proxy?");
  Outcome code = expect_same_at_every_split(r, bytes({0, 0x10, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(code.failure, Failure::kMalformed);
  EXPECT_NE(code.error.find("unknown reply code 16"), std::string::npos);
}

// ---- Requests that cannot be sent -------------------------------------------------------------

TEST(SocksRequest, Problems) {
  struct Case {
    Request req;
    const char* expected;
  };
  const std::vector<Case> cases = {
      {request(Version::kSocks4, "example.com"),
       "SOCKS4 needs an IPv4 address for the server, not 'example.com': use socks4a:// (or "
       "socks5://) to let the proxy resolve the name"},
      {request(Version::kSocks4, "::1"),
       "SOCKS4 cannot reach the IPv6 address [::1]:1935: use socks5://"},
      {request(Version::kSocks4a, "2001:db8::2"),
       "SOCKS4a cannot reach the IPv6 address [2001:db8::2]:1935: use socks5://"},
      {request(Version::kSocks4a, "h", 1, "u", kSecret),
       "SOCKS4a proxies take a user id but no password: use socks5:// for username/password "
       "authentication"},
      {request(Version::kSocks4, "1.2.3.4", 1, std::string("a\0b", 3)),
       "the SOCKS4 user id contains a NUL byte"},
      {request(Version::kSocks4a, std::string("a\0b", 3)), "the server name contains a NUL byte"},
      {request(Version::kSocks5, std::string(256, 'a')),
       "the server name is longer than 255 bytes, more than SOCKS5 can carry"},
      {request(Version::kSocks5, "h", 1, "", kSecret),
       "the proxy URL has a password but no username"},
      {request(Version::kSocks5, "h", 1, std::string(256, 'u'), "p"),
       "the proxy username is longer than 255 bytes"},
      {request(Version::kSocks5, "h", 1, "u", std::string(256, 'p')),
       "the proxy password is longer than 255 bytes"},
      {request(Version::kSocks5, ""), "no server host to connect to through the proxy"},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(request_problem(c.req), c.expected);
    ClientNegotiator n(c.req);
    Bytes out;
    EXPECT_EQ(n.start(out), Status::kError);
    EXPECT_TRUE(out.empty()) << "nothing is sent for a request that cannot work";
    EXPECT_EQ(n.failure(), Failure::kBadRequest);
    EXPECT_EQ(n.error(), c.expected);
  }
  EXPECT_EQ(request_problem(request(Version::kSocks5, "example.com", 1935, "u", "p")), "");
  EXPECT_EQ(request_problem(request(Version::kSocks4, "10.0.0.1", 1935, "userid")), "");
  EXPECT_EQ(request_problem(request(Version::kSocks4a, "example.com")), "");
}

// ---- Contract details -------------------------------------------------------------------------

TEST(SocksNegotiator, ErrorAndDoneAreSticky) {
  ClientNegotiator failed(request(Version::kSocks5, "h"));
  Bytes out;
  failed.start(out);
  size_t consumed = 99;
  const Bytes bad = bytes({4, 0});
  EXPECT_EQ(failed.feed(bad, &consumed, out), Status::kError);
  EXPECT_EQ(failed.feed(kMethodNone, &consumed, out), Status::kError);
  EXPECT_EQ(consumed, 0u);

  ClientNegotiator done(request(Version::kSocks5, "h"));
  out.clear();
  done.start(out);
  const Bytes ok = cat({kMethodNone, kGranted});
  EXPECT_EQ(done.feed(ok, &consumed, out), Status::kDone);
  const size_t sent = out.size();
  EXPECT_EQ(done.feed(ok, &consumed, out), Status::kDone);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(out.size(), sent);
  EXPECT_EQ(done.start(out), Status::kDone);
  EXPECT_EQ(out.size(), sent);
}

TEST(SocksNegotiator, FeedBeforeStartIsAnError) {
  ClientNegotiator n(request(Version::kSocks5, "h"));
  Bytes out;
  size_t consumed = 99;
  EXPECT_EQ(n.feed(kMethodNone, &consumed, out), Status::kError);
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(out.empty());
}

TEST(SocksNegotiator, EmptyInputNeedsMore) {
  ClientNegotiator n(request(Version::kSocks5, "h"));
  Bytes out;
  n.start(out);
  size_t consumed = 99;
  EXPECT_EQ(n.feed(ByteView(), &consumed, out), Status::kNeedMore);
  EXPECT_EQ(consumed, 0u);
}

TEST(SocksNegotiator, WaitingForSaysWhatAndWhom) {
  ClientNegotiator n(request(Version::kSocks5, "example.com", 1935, "u", "p"));
  Bytes out;
  size_t consumed = 0;
  n.start(out);
  EXPECT_EQ(n.waiting_for(), "the SOCKS5 proxy 127.0.0.1:1080 to answer the greeting");
  n.feed(kMethodUserPass, &consumed, out);
  EXPECT_EQ(n.waiting_for(), "the SOCKS5 proxy 127.0.0.1:1080 to accept the username/password");
  n.feed(bytes({1, 0}), &consumed, out);
  EXPECT_EQ(n.waiting_for(), "the SOCKS5 proxy 127.0.0.1:1080 to connect to example.com:1935");
  ClientNegotiator four(request(Version::kSocks4a, "example.com"));
  four.start(out);
  EXPECT_EQ(four.waiting_for(), "the SOCKS4a proxy 127.0.0.1:1080 to connect to example.com:1935");
}

// ---- Proxy URLs -------------------------------------------------------------------------------

ProxyUrl parsed(std::string_view text) {
  std::string error;
  auto url = parse_proxy_url(text, &error);
  EXPECT_TRUE(url.has_value()) << text << ": " << error;
  return url.value_or(ProxyUrl{});
}

std::string parse_error(std::string_view text) {
  std::string error;
  EXPECT_FALSE(parse_proxy_url(text, &error).has_value()) << text;
  EXPECT_FALSE(error.empty()) << text;
  return error;
}

TEST(ProxyUrl, Schemes) {
  EXPECT_EQ(parsed("socks5://127.0.0.1:1081").version, Version::kSocks5);
  EXPECT_EQ(parsed("socks5h://h").version, Version::kSocks5);
  EXPECT_EQ(parsed("socks://h").version, Version::kSocks5);
  EXPECT_EQ(parsed("SOCKS5://h").version, Version::kSocks5);
  EXPECT_EQ(parsed("socks4a://h").version, Version::kSocks4a);
  EXPECT_EQ(parsed("Socks4://h").version, Version::kSocks4);
  EXPECT_EQ(parse_error("http://proxy:8080"),
            "unsupported proxy scheme 'http://': expected socks5://, socks4a:// or socks4://");
  EXPECT_EQ(parse_error("proxy:1080"),
            "the proxy URL has no scheme: expected socks5://, socks4a:// or socks4://");
  EXPECT_EQ(parse_error(""),
            "the proxy URL has no scheme: expected socks5://, socks4a:// or socks4://");
}

TEST(ProxyUrl, HostAndPort) {
  ProxyUrl a = parsed("  socks5://proxy.example:1081/ ");
  EXPECT_EQ(a.host, "proxy.example");
  EXPECT_EQ(a.port, 1081);
  EXPECT_EQ(a.where(), "proxy.example:1081");
  ProxyUrl b = parsed("socks5://proxy.example");
  EXPECT_EQ(b.port, kDefaultPort);
  EXPECT_EQ(parsed("socks4://10.0.0.1:65535").port, 65535);
  EXPECT_EQ(parse_error("socks5://h:"), "the proxy port is missing after ':'");
  EXPECT_EQ(parse_error("socks5://h:0"), "invalid proxy port '0' (expected 1 to 65535)");
  EXPECT_EQ(parse_error("socks5://h:65536"), "invalid proxy port '65536' (expected 1 to 65535)");
  EXPECT_EQ(parse_error("socks5://h:1x"), "invalid proxy port '1x' (expected 1 to 65535)");
  EXPECT_EQ(parse_error("socks5://h:-1"), "invalid proxy port '-1' (expected 1 to 65535)");
  EXPECT_EQ(parse_error("socks5://h:1234567"),
            "invalid proxy port '1234567' (expected 1 to 65535)");
  EXPECT_EQ(parse_error("socks5://"), "the proxy host is missing");
  EXPECT_EQ(parse_error("socks5://:1080"), "the proxy host is missing");
  EXPECT_EQ(parse_error("socks5://h:1/path"),
            "a proxy URL has no path or query: expected scheme://[user:password@]host[:port]");
  EXPECT_EQ(parse_error("socks5://h?x=1"),
            "a proxy URL has no path or query: expected scheme://[user:password@]host[:port]");
  EXPECT_EQ(parse_error("socks5://pro xy"), "invalid character in the proxy host");
}

TEST(ProxyUrl, Ipv6HostInBrackets) {
  ProxyUrl a = parsed("socks5://[::1]:1081");
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 1081);
  EXPECT_EQ(a.where(), "[::1]:1081");
  ProxyUrl b = parsed("socks5://user:pw@[2001:db8::7]");
  EXPECT_EQ(b.host, "2001:db8::7");
  EXPECT_EQ(b.port, kDefaultPort);
  EXPECT_EQ(b.user, "user");
  EXPECT_EQ(parse_error("socks5://::1"),
            "an IPv6 proxy address goes in brackets, as in socks5://[::1]:1080");
  EXPECT_EQ(parse_error("socks5://[::1"), "missing ']' after the IPv6 proxy address");
  EXPECT_EQ(parse_error("socks5://[::1]x"), "unexpected 'x' after the proxy address");
  EXPECT_EQ(parse_error("socks5://[proxy]:1"), "'proxy' in brackets is not an IPv6 address");
  EXPECT_EQ(parse_error("socks5://[::1]:"), "the proxy port is missing after ':'");
}

TEST(ProxyUrl, Credentials) {
  ProxyUrl a = parsed("socks5://alice:pa%3Ass%40word%25@h");
  EXPECT_EQ(a.user, "alice");
  EXPECT_EQ(a.password, "pa:ss@word%");
  EXPECT_TRUE(a.has_password);
  ProxyUrl b = parsed("socks5://us%40er%3a1@h");
  EXPECT_EQ(b.user, "us@er:1");
  EXPECT_FALSE(b.has_password);
  ProxyUrl c = parsed("socks5://u:@h");
  EXPECT_TRUE(c.has_password);
  EXPECT_EQ(c.password, "");
  ProxyUrl d = parsed("socks5://u:p@ss@h:1");  // the last '@' ends the userinfo
  EXPECT_EQ(d.password, "p@ss");
  EXPECT_EQ(d.host, "h");
  ProxyUrl e = parsed("socks5://u:100%@h");  // a lone '%' stays
  EXPECT_EQ(e.password, "100%");
  ProxyUrl f = parsed("socks4://userid@10.0.0.1");
  EXPECT_EQ(f.user, "userid");
}

TEST(ProxyUrl, SafeTextHasNoPassword) {
  ProxyUrl a = parsed(std::string("socks5://us%40er:") + kSecret + "@[::1]:1081");
  EXPECT_EQ(a.safe_text(), "socks5://us%40er@[::1]:1081");
  EXPECT_EQ(parsed("socks://h").safe_text(), "socks5://h:1080");
  EXPECT_EQ(parsed("socks4a://h:9").safe_text(), "socks4a://h:9");
}

TEST(ProxyUrl, ErrorsNeverRepeatThePassword) {
  const std::string s = kSecret;
  for (const std::string& bad :
       {"socks5://u:" + s + "@", "socks5://u:" + s + "@h:", "socks5://u:" + s + "@h:99999",
        "socks5://u:" + s + "@::1", "socks5://u:" + s + "@[x]", "u:" + s + "@h://x",
        "ftp://u:" + s + "@h", "socks5://u:" + s + "@h/p"}) {
    std::string error = parse_error(bad);
    EXPECT_EQ(error.find(kSecret), std::string::npos) << error;
  }
}

// ---- IP literals ------------------------------------------------------------------------------

TEST(IpLiterals, Ipv4) {
  EXPECT_EQ(parse_ipv4("192.0.2.255"), (std::array<uint8_t, 4>{192, 0, 2, 255}));
  EXPECT_EQ(parse_ipv4("0.0.0.0"), (std::array<uint8_t, 4>{0, 0, 0, 0}));
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.1.1.1", "1.2.3.4 ", "1..2.3",
                          "a.b.c.d", "1.2.3.1000", "example.com", "::1"})
    EXPECT_FALSE(parse_ipv4(bad).has_value()) << bad;
}

TEST(IpLiterals, Ipv6) {
  std::array<uint8_t, 16> loopback{};
  loopback[15] = 1;
  EXPECT_EQ(parse_ipv6("::1"), loopback);
  EXPECT_EQ(parse_ipv6("0:0:0:0:0:0:0:1"), loopback);
  EXPECT_EQ(parse_ipv6("::"), (std::array<uint8_t, 16>{}));
  auto mapped = parse_ipv6("::ffff:192.0.2.1");
  ASSERT_TRUE(mapped);
  EXPECT_EQ((*mapped)[10], 0xFF);
  EXPECT_EQ((*mapped)[12], 192);
  EXPECT_EQ((*mapped)[15], 1);
  auto full = parse_ipv6("2001:DB8::8:800:200c:417a");
  ASSERT_TRUE(full);
  EXPECT_EQ((*full)[0], 0x20);
  EXPECT_EQ((*full)[3], 0xB8);
  EXPECT_EQ((*full)[15], 0x7A);
  EXPECT_TRUE(parse_ipv6("1::"));
  for (const char* bad :
       {"", ":", ":::", "1::2::3", "12345::", "g::", "::1.2.3", "1:2:3:4:5:6:7:8:9",
        "1:2:3:4:5:6:7", ":1::", "1.2.3.4::", "fe80::1%eth0", "example.com", "1.2.3.4"})
    EXPECT_FALSE(parse_ipv6(bad).has_value()) << bad;
}

}  // namespace
}  // namespace rtmp::socks
