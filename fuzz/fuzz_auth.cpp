// libFuzzer target for authentication: the server's rejection description (parser and the
// negotiator's answer to it), the SecureToken decoder, and MD5/base64 on arbitrary bytes.
// Checks: no crash, challenges only with usable values, the password never in a message,
// MD5 split anywhere equals MD5 in one go.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "hash/md5.hpp"
#include "rtmp/auth.hpp"
#include "util/base64.hpp"

namespace {

// A space and '&' never survive into anything taken from the server (reasons keep [A-Za-z0-9_.-],
// values end at blanks and '&'), so the password can only reach a message through a leak.
constexpr char kPassword[] = "fuzz pa55&w0rd!";

void check(bool ok) {
  if (!ok) std::abort();
}

bool printable(std::string_view v) {
  for (char c : v)
    if (c <= 0x20 || c >= 0x7f) return false;
  return true;
}

void fuzz_rejection(std::string_view text) {
  using rtmp::auth::Rejection;
  Rejection r = rtmp::auth::parse_rejection(text);
  if (r.kind == Rejection::Kind::kChallenge) {
    if (r.method == rtmp::auth::Method::kAdobe) {
      check(!r.salt.empty() && printable(r.salt) && (r.challenge || r.opaque));
    } else {
      check(!r.nonce.empty() && printable(r.nonce));
    }
  }
  for (const char* authmod : {"", "adobe", "llnw", "none"}) {
    rtmp::auth::Negotiator n({"user", kPassword, authmod});
    for (int round = 0; round < 5; round++) {
      rtmp::auth::Step s = n.on_rejection(r, "live/app", 0x12345678u + round);
      if (s.action == rtmp::auth::Step::Action::kFail) {
        check(!s.message.empty() && s.message.find(kPassword) == std::string::npos);
        break;
      }
      check(s.query.rfind("?authmod=", 0) == 0 && s.query.find(kPassword) == std::string::npos);
      check(round < rtmp::auth::Negotiator::kMaxRounds);
    }
  }
}

void fuzz_token(std::string_view text) {
  size_t split = text.empty() ? 0 : static_cast<uint8_t>(text[0]) % (text.size() + 1);
  std::string_view key = text.substr(0, split), token = text.substr(split);
  auto out = rtmp::auth::decode_secure_token(key, token);
  if (out) check(out->size() * 2 == token.size() && token.size() % 8 == 0);
}

void fuzz_digests(const uint8_t* data, size_t size) {
  rtmp::ByteView all(data, size);
  size_t cut = size == 0 ? 0 : data[size - 1] % (size + 1);
  rtmp::Md5 h;
  h.update(all.subspan(0, cut));
  h.update(all.subspan(cut));
  check(h.finish() == rtmp::md5(all));
  check(rtmp::base64_encode(all).size() == (size + 2) / 3 * 4);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  fuzz_rejection(text);
  fuzz_token(text);
  fuzz_digests(data, size);
  return 0;
}
