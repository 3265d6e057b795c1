#include "flv/mux_interleave.hpp"

#include <tuple>

namespace rtmp {
namespace {

auto order_key(const InputHead& h, size_t index) {
  return std::make_tuple(*h.dts_ns, h.media == MediaType::kVideo ? 0 : 1, h.track, index);
}

}  // namespace

Next choose_next(const std::vector<InputHead>& inputs, bool timeout) {
  std::optional<size_t> best;
  bool all_ended = true;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const InputHead& h = inputs[i];
    if (!h.dts_ns) {
      if (h.ended) continue;
      all_ended = false;
      if (!timeout) return Next{NextStep::kWait, 0};
      continue;
    }
    all_ended = false;
    if (!best || order_key(h, i) < order_key(inputs[*best], *best)) best = i;
  }
  if (best) return Next{NextStep::kWrite, *best};
  return Next{all_ended ? NextStep::kDone : NextStep::kWait, 0};
}

}  // namespace rtmp
