#include "rtmp/aggregate.hpp"

#include <algorithm>

namespace rtmp {

namespace {
constexpr size_t kSubHeader = 11;  // type, size(3), timestamp(3) + extended(1), stream id(3)
constexpr size_t kBackPointer = 4;
}  // namespace

bool split_aggregate(const Message& aggregate, std::vector<Message>& out, std::string* error) {
  const Bytes& p = aggregate.payload;
  size_t pos = 0;
  bool first = true;
  uint32_t first_ts = 0;
  while (pos < p.size()) {
    if (p.size() - pos < kSubHeader) {
      if (error) *error = "aggregate message ends inside a sub-message header";
      return false;
    }
    const uint8_t* h = p.data() + pos;
    uint32_t size = get_u24be(h + 1);
    uint32_t ts = get_u24be(h + 4) | (uint32_t{h[7]} << 24);
    if (p.size() - pos - kSubHeader < size) {
      if (error)
        *error = "aggregate sub-message of " + std::to_string(size) + " bytes is truncated";
      return false;
    }
    if (first) {
      first_ts = ts;
      first = false;
    }
    Message m;
    m.type = h[0] & 0x1f;
    m.timestamp = aggregate.timestamp + (ts - first_ts);
    m.stream_id = aggregate.stream_id;
    m.chunk_stream = aggregate.chunk_stream;
    m.payload.assign(h + kSubHeader, h + kSubHeader + size);
    out.push_back(std::move(m));
    pos += kSubHeader + size;
    // The back pointer after each sub-message is optional at the very end.
    pos += std::min(kBackPointer, p.size() - pos);
  }
  return true;
}

}  // namespace rtmp
