// Drives the SOCKS client negotiator with the input as the proxy's bytes (the first byte picks
// the protocol, credentials and kind of target), fed whole and split at a position derived from
// the input, which must agree; and parses the input as a proxy URL, whose password-free form
// must parse back to the same proxy.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "proxy/socks_client.hpp"

namespace {

using rtmp::Bytes;
using rtmp::ByteView;
using rtmp::socks::ClientNegotiator;

constexpr std::string_view kPassword = "fuzz-secret";

void check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  int status = 0;
  size_t consumed = 0;
  Bytes out;
  std::string error;
  std::string bound;
  bool operator==(const Outcome&) const = default;
};

rtmp::socks::Request request_for(uint8_t selector) {
  static const char* const kTargets[] = {"example.com", "192.0.2.1", "2001:db8::1", ""};
  rtmp::socks::Request r;
  r.version = static_cast<rtmp::socks::Version>(selector % 3);
  r.proxy_where = "127.0.0.1:1080";
  r.host = kTargets[(selector >> 2) & 3];
  r.port = 1935;
  if (selector & 0x10) r.user = "user";
  if (selector & 0x20) r.password = kPassword;
  return r;
}

Outcome run(const rtmp::socks::Request& r, ByteView in, size_t split) {
  ClientNegotiator n(r);
  Outcome o;
  o.status = static_cast<int>(n.start(o.out));
  size_t from = 0;
  for (size_t end : {split, in.size()}) {
    if (o.status != static_cast<int>(ClientNegotiator::Status::kNeedMore) || end < from) break;
    size_t consumed = SIZE_MAX;
    o.status = static_cast<int>(n.feed(in.subspan(from, end - from), &consumed, o.out));
    check(consumed <= end - from);
    from += consumed;
  }
  o.consumed = from;
  o.error = n.error();
  o.bound = n.bound_address();
  const bool failed = o.status == static_cast<int>(ClientNegotiator::Status::kError);
  check(failed == !o.error.empty());
  check(failed == (n.failure() != ClientNegotiator::Failure::kNone));
  check(o.error.find(kPassword) == std::string::npos);
  check(o.consumed <= 2 + 2 + 4 + 1 + 255 + 2);  // the longest SOCKS5 exchange
  return o;
}

void negotiate(ByteView in) {
  if (in.empty()) return;
  const auto r = request_for(in[0]);
  const ByteView server = in.subspan(1);
  const size_t split = (size_t{in[0]} * 131 + server.size()) % (server.size() + 1);
  check(run(r, server, server.size()) == run(r, server, split));
}

void parse(ByteView in) {
  const std::string_view text(reinterpret_cast<const char*>(in.data()), in.size());
  std::string error;
  auto url = rtmp::socks::parse_proxy_url(text, &error);
  check(url.has_value() == error.empty());
  if (!url) return;
  check(!url->host.empty() && url->port != 0);
  auto again = rtmp::socks::parse_proxy_url(url->safe_text(), &error);
  check(again.has_value());
  check(again->version == url->version && again->host == url->host && again->port == url->port &&
        again->user == url->user && again->password.empty());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);
  negotiate(in);
  parse(in);
  return 0;
}
