#include "flv/media_headers.hpp"

#include <string_view>

namespace rtmp {

namespace {

constexpr uint8_t kVideoExHeader = 0x80;     // Enhanced RTMP: IsExHeader bit
constexpr uint8_t kAudioExHeader = 9;        // Enhanced RTMP: SoundFormat 9 = ExHeader
constexpr uint8_t kAvcLike[] = {7, 12, 13};  // AVC, HEVC (common extension), AV1 (extension)

bool is_type(const Message& m, MessageType t) {
  return m.type == uint8_t(t);
}

// The AMF0 string at the start of a data message, if any.
std::string_view first_string(const Message& m) {
  const Bytes& p = m.payload;
  if (p.size() < 3 || p[0] != 0x02) return {};
  size_t len = (size_t{p[1]} << 8) | p[2];
  if (p.size() < 3 + len) return {};
  return std::string_view(reinterpret_cast<const char*>(p.data() + 3), len);
}

bool legacy_avc_like(uint8_t codec) {
  for (uint8_t c : kAvcLike)
    if (c == codec) return true;
  return false;
}

}  // namespace

bool is_video_keyframe(const Message& m) {
  if (!is_type(m, MessageType::kVideo) || m.payload.empty()) return false;
  return ((m.payload[0] >> 4) & 0x7) == 1;
}

bool is_video_sequence_header(const Message& m) {
  if (!is_type(m, MessageType::kVideo) || m.payload.empty()) return false;
  uint8_t b = m.payload[0];
  if (b & kVideoExHeader) return (b & 0x0f) == 0;  // PacketTypeSequenceStart
  return legacy_avc_like(b & 0x0f) && m.payload.size() >= 2 && m.payload[1] == 0;
}

bool is_audio_sequence_header(const Message& m) {
  if (!is_type(m, MessageType::kAudio) || m.payload.size() < 2) return false;
  uint8_t format = m.payload[0] >> 4;
  if (format == 10) return m.payload[1] == 0;                       // AAC sequence header
  if (format == kAudioExHeader) return (m.payload[0] & 0x0f) == 0;  // SequenceStart
  return false;
}

bool is_metadata(const Message& m) {
  if (!is_type(m, MessageType::kDataAmf0)) return false;
  std::string_view name = first_string(m);
  return name == "@setDataFrame" || name == "onMetaData";
}

void MediaHeaders::observe(const Message& m) {
  if (is_type(m, MessageType::kVideo)) has_video_ = true;
  if (is_metadata(m))
    metadata_ = m;
  else if (is_video_sequence_header(m))
    video_header_ = m;
  else if (is_audio_sequence_header(m))
    audio_header_ = m;
}

std::vector<Message> MediaHeaders::replay(uint32_t timestamp) const {
  std::vector<Message> out;
  for (const auto* h : {&metadata_, &video_header_, &audio_header_}) {
    if (!*h) continue;
    out.push_back(**h);
    out.back().timestamp = timestamp;
  }
  return out;
}

void MediaHeaders::clear() {
  *this = MediaHeaders();
}

}  // namespace rtmp
