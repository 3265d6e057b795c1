#include "flv/flv_probe.hpp"

#include "flv/flv_format.hpp"
#include "flv/fourcc.hpp"

namespace rtmp {

bool is_enhanced_first_byte(uint8_t tag_type, uint8_t first) {
  if (tag_type == kFlvTagVideo) {
    const uint8_t codec = first & 0x0f;
    return (first & 0x80) != 0 || codec == legacy_codec::kHevc || codec == legacy_codec::kAv1;
  }
  return tag_type == kFlvTagAudio && (first >> 4) == legacy_codec::kExHeader;
}

FlvProbeResult FlvProber::give(ByteView bytes, bool at_end) {
  if (result_ != FlvProbeResult::kPending) return result_;
  result_ = in_header_ ? header(bytes, at_end) : tag(bytes, at_end);
  return result_;
}

FlvProbeResult FlvProber::header(ByteView b, bool at_end) {
  for (size_t i = 0; i < 3 && i < b.size(); ++i)
    if (b[i] != kFlvSignature[i]) return FlvProbeResult::kNotFlv;
  if (b.size() < kFlvHeaderSize) return at_end ? FlvProbeResult::kNotFlv : FlvProbeResult::kUnknown;
  const uint32_t data_offset = get_u32be(b.data() + 5);
  if (data_offset < kFlvHeaderSize) return FlvProbeResult::kNotFlv;
  in_header_ = false;
  need_ = Need{uint64_t{data_offset} + 4, kFlvTagHeaderSize + 1};
  return FlvProbeResult::kPending;
}

FlvProbeResult FlvProber::tag(ByteView b, bool at_end) {
  if (b.size() < kFlvTagHeaderSize)  // the end of the stream, or of what can be seen
    return at_end ? FlvProbeResult::kLegacy : FlvProbeResult::kUnknown;
  const uint8_t type = b[0] & 0x1f;
  const uint32_t size = get_u24be(b.data() + 1);
  if ((type == kFlvTagAudio || type == kFlvTagVideo) && size > 0) {
    if (b.size() < kFlvTagHeaderSize + 1)
      return at_end ? FlvProbeResult::kLegacy : FlvProbeResult::kUnknown;
    if (is_enhanced_first_byte(type, b[kFlvTagHeaderSize])) return FlvProbeResult::kEnhanced;
    if (++av_tags_ >= max_av_tags_) return FlvProbeResult::kLegacy;
  }
  need_.offset += kFlvTagHeaderSize + size + 4;
  need_.size = kFlvTagHeaderSize + 1;
  return FlvProbeResult::kPending;
}

}  // namespace rtmp
