// Drives RtmptClient with the input as the server's bytes: /open/1 first, then after every
// complete response the next request (idle, send, idle, ..., close on the 7th), fed whole, one
// byte at a time and in pieces of a size derived from the input; all three must agree.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "tunnel/rtmpt_codec.hpp"

namespace {

using rtmp::Bytes;
using rtmp::ByteView;
using rtmp::RtmptClient;

void check(bool ok) {
  if (!ok) std::abort();
}

struct Outcome {
  std::vector<int> statuses;
  std::vector<int64_t> delays;
  Bytes payload;
  Bytes requests;
  std::string session_id;
  std::string error;
  size_t consumed = 0;
  bool closed = false;
  bool operator==(const Outcome&) const = default;
};

// The request after the n-th response; false when none could be made.
bool next_request(RtmptClient& c, int n, Bytes& out) {
  static const uint8_t kRtmp[] = {3, 0, 0, 1, 2, 3};
  if (n % 7 == 6) return c.close(out);
  if (n % 2 == 1) return c.send(ByteView(kRtmp, sizeof kRtmp), out);
  return c.idle(out);
}

Outcome run(ByteView in, size_t piece) {
  RtmptClient c("fuzz.example:8080");
  rtmp::RtmptPollPolicy policy;
  Outcome o;
  check(c.open(o.requests));
  size_t pos = 0;
  int responses = 0;
  while (pos < in.size()) {
    size_t offered = std::min(piece, in.size() - pos);
    size_t used = SIZE_MAX;
    auto status = c.feed(in.subspan(pos, offered), &used, o.payload);
    check(used <= offered);
    pos += used;
    if (status == RtmptClient::Status::kError) {
      check(!c.error().empty() && c.failed() && !c.outstanding());
      o.statuses.push_back(2);
      o.error = c.error();
      pos = 0;  // how far an error's input was taken depends on the pieces
      break;
    }
    if (status == RtmptClient::Status::kNeedMore) {
      check(used == offered && c.outstanding());
      continue;
    }
    o.statuses.push_back(1);
    check(!c.outstanding() && c.opened());
    if (c.last_response().command != rtmp::RtmptCommand::kOpen) {
      int64_t delay = policy.after(c.last_response());
      check(delay >= 0 && delay <= rtmp::RtmptPollPolicy::kMaxDelayUs);
      o.delays.push_back(delay);
    }
    if (c.closed() || !next_request(c, responses++, o.requests)) break;
  }
  o.consumed = pos;
  o.session_id = c.session_id();
  o.closed = c.closed();
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const ByteView in(data, size);
  const Outcome whole = run(in, SIZE_MAX);
  check(whole == run(in, 1));
  const size_t piece = in.empty() ? 1 : 1 + (size_t{in[0]} * 131 + in.size()) % 97;
  check(whole == run(in, piece));
  return 0;
}
