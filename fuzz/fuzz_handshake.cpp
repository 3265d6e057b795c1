// Drives ClientHandshake with the input as server bytes, and ServerHandshake with it as client
// bytes, each plain and with Flash Player 9 digests; each fed whole and split at a position
// derived from the input, which must agree.
#include <cstddef>
#include <cstdint>
#include <cstdlib>

#include "rtmp/handshake.hpp"

namespace {

using rtmp::Bytes;
using rtmp::ByteView;

constexpr size_t kTotal = 1 + 2 * rtmp::kHandshakeSize;  // S0+S1+S2 or C0+C1+C2

void check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  int status = 0;
  size_t consumed = 0;
  Bytes out;
  bool echoes = false;
  bool digest_valid = false;
  bool operator==(const Outcome&) const = default;
};

template <typename Handshake>
size_t feed_one(Handshake& hs, ByteView in, Outcome& o) {
  size_t consumed = SIZE_MAX;
  int status = 0;
  if constexpr (requires { hs.s2_echoes_c1(); }) {
    status = static_cast<int>(hs.feed(in, &consumed, o.out, 77));
  } else {
    status = static_cast<int>(hs.feed(in, &consumed, o.out));
  }
  check(consumed <= in.size());
  o.status = status;
  o.consumed += consumed;
  return consumed;
}

template <typename Handshake>
Outcome run(ByteView in, size_t split, bool digest) {
  const Bytes random(rtmp::kHandshakeRandomSize, 0x5A);
  Handshake hs(random, 1234, digest);
  Outcome o;
  if constexpr (requires { hs.start(o.out); }) {
    Bytes c0c1;
    hs.start(c0c1);
    check(c0c1.size() == 1 + rtmp::kHandshakeSize);
  }
  const size_t first = feed_one(hs, in.first(split), o);
  // Left-over bytes of the first part are offered again, as a caller would.
  feed_one(hs, in.subspan(first), o);
  check(o.consumed <= kTotal);
  check(hs.error().empty() == (o.status != 2));
  if (o.status == 1) check(o.consumed == kTotal);
  if constexpr (requires { hs.s2_echoes_c1(); }) {
    o.echoes = hs.s2_echoes_c1();
    o.digest_valid = hs.s2_digest_valid();
    check(digest || !hs.server_digest_valid());
    check(o.out.empty() || o.out.size() == rtmp::kHandshakeSize);
  } else {
    o.echoes = hs.c2_echoes_s1();
    o.digest_valid = hs.c2_digest_valid();
    check(digest || !hs.client_digest_valid());
    check(o.out.empty() || o.out.size() == kTotal);
  }
  return o;
}

template <typename Handshake>
void compare(ByteView in, bool digest) {
  const size_t split = in.empty() ? 0 : (size_t{in[0]} * 131 + in.size()) % (in.size() + 1);
  const Outcome whole = run<Handshake>(in, in.size(), digest);
  check(whole == run<Handshake>(in, split, digest));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);
  for (bool digest : {false, true}) {
    compare<rtmp::ClientHandshake>(in, digest);
    compare<rtmp::ServerHandshake>(in, digest);
  }
  return 0;
}
