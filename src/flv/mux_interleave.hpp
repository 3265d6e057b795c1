// Which input a muxer writes next so that its tags come out in timestamp order (RTMP servers
// refuse a stream whose timestamps go back): the input whose next frame has the lowest decoding
// time, once every input that may still deliver one has one waiting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "flv/media_tag.hpp"

namespace rtmp {

struct InputHead {
  MediaType media = MediaType::kVideo;
  uint8_t track = 0;
  std::optional<int64_t> dts_ns;  // the next frame's decoding time (running time); none waiting
  bool ended = false;             // no frame will come any more
};

enum class NextStep : uint8_t {
  kWrite,  // write the frame of inputs[index]
  kWait,   // an input that has not ended has no frame yet
  kDone,   // every input has ended
};

struct Next {
  NextStep step = NextStep::kWait;
  size_t index = 0;
};

// With `timeout` (a live pipeline's latency has passed) inputs without a frame are not waited
// for. Ties in time go to video before audio, then to the lower track id, then to the earlier
// input, so the order is the same on every run.
Next choose_next(const std::vector<InputHead>& inputs, bool timeout);

}  // namespace rtmp
