#include "flv/tag_pacer.hpp"

namespace rtmp {

uint64_t TagPacer::due_ns(uint32_t ts_ms, uint64_t now_ns) {
  // The distance from the previous tag, with 32-bit wrap-around.
  auto step = static_cast<int32_t>(ts_ms - last_ts_);
  bool jump =
      step < -static_cast<int32_t>(kMaxBackwardMs) || step > static_cast<int32_t>(kMaxForwardMs);
  if (!anchored_ || jump) {
    // Anchored so that the jumping tag is due now (and so is everything until it catches up).
    anchored_ = true;
    anchor_ns_ = now_ns;
    anchor_ts_ = ts_ms;
  }
  last_ts_ = ts_ms;
  auto since_anchor = static_cast<int32_t>(ts_ms - anchor_ts_);
  if (since_anchor <= 0) return anchor_ns_;
  return anchor_ns_ + uint64_t(since_anchor) * 1'000'000;
}

}  // namespace rtmp
