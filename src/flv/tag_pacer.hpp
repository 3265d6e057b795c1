// Real-time pacing of FLV tags that carry no buffer timestamps (a plain filesrc): when each tag
// is due, from its FLV timestamp, like `ffmpeg -re`. The first tag anchors the stream at "now";
// every later tag is due its timestamp's distance later. A jump backwards of more than
// kMaxBackwardMs or forwards of more than kMaxForwardMs (a new file concatenated, a broken
// timestamp) anchors again at the jumping tag, so it is due at once rather than never or much
// later. Pure: times are whatever the caller's clock says, in nanoseconds.
#pragma once

#include <cstdint>

namespace rtmp {

class TagPacer {
 public:
  static constexpr uint32_t kMaxBackwardMs = 1000;
  static constexpr uint32_t kMaxForwardMs = 10'000;

  // When the tag with FLV timestamp `ts_ms` is due, given that it is `now_ns` now.
  uint64_t due_ns(uint32_t ts_ms, uint64_t now_ns);
  // Forget the anchor (a flush, a seek, a new start).
  void reset() { anchored_ = false; }
  bool anchored() const { return anchored_; }

 private:
  bool anchored_ = false;
  uint64_t anchor_ns_ = 0;
  uint32_t anchor_ts_ = 0;
  uint32_t last_ts_ = 0;
};

}  // namespace rtmp
