// Type finding for FLV that may hold Enhanced RTMP tags: looks at the first audio/video tags of
// a stream for an enhanced header (video IsExHeader bit, audio SoundFormat 9) or a legacy
// extension codec id (video 12 HEVC, 13 AV1), reading only the 12 bytes at the start of each
// tag (its header and first body byte), wherever they are: a typefinder peeks them one by one.
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/bytes.hpp"

namespace rtmp {

enum class FlvProbeResult : uint8_t {
  kPending,   // ask need() and give() again
  kNotFlv,    // no FLV header
  kLegacy,    // max_av_tags audio/video tags, or the end of the stream, without enhanced ones
  kEnhanced,  // an audio/video tag with an Enhanced RTMP header or extension codec
  kUnknown,   // the bytes ran out before a decision (a typefinder that could peek no further)
};

class FlvProber {
 public:
  struct Need {
    uint64_t offset = 0;
    size_t size = 0;
  };

  explicit FlvProber(size_t max_av_tags = 16) : max_av_tags_(max_av_tags) {}
  Need need() const { return need_; }
  // The bytes at need().offset: need().size of them, or fewer at the end of the stream
  // (`at_end`) or when no more can be looked at (then the result is kUnknown).
  FlvProbeResult give(ByteView bytes, bool at_end);
  FlvProbeResult result() const { return result_; }

 private:
  FlvProbeResult header(ByteView bytes, bool at_end);
  FlvProbeResult tag(ByteView bytes, bool at_end);

  size_t max_av_tags_;
  size_t av_tags_ = 0;
  bool in_header_ = true;
  Need need_{0, 13};
  FlvProbeResult result_ = FlvProbeResult::kPending;
};

// Whether the first byte of an audio (8) or video (9) tag body is enhanced (see above).
bool is_enhanced_first_byte(uint8_t tag_type, uint8_t first);

}  // namespace rtmp
