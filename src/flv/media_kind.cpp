#include "flv/media_kind.hpp"

#include <string_view>

#include "flv/byte_cursor.hpp"
#include "flv/tag_header.hpp"

namespace rtmp {

namespace {

// The AMF0 string at the start of a data message, if any.
std::string_view first_string(ByteView p) {
  if (p.size() < 3 || p[0] != 0x02) return {};
  const size_t len = get_u16be(p.data() + 1);
  if (p.size() < 3 + len) return {};
  return std::string_view(reinterpret_cast<const char*>(p.data() + 3), len);
}

// Track ids of an enhanced multitrack body; false if a track is cut short.
bool read_track_ids(const TagHeader& h, ByteView body, MediaKind& k) {
  ByteCursor c(body, h.size);
  const bool sized = h.multitrack != Multitrack::kOneTrack;
  const bool many_codecs = h.multitrack == Multitrack::kManyTracksManyCodecs;
  do {
    uint8_t id = 0;
    uint32_t size = 0;
    if ((many_codecs && !c.skip(4)) || !c.u8(id)) return false;
    if (sized && (!c.u24(size) || !c.skip(size))) return false;
    k.tracks.set(id);
    k.track_count++;
  } while (sized && c.left() > 0);
  return true;
}

}  // namespace

bool MediaKind::is_sequence_header() const {
  return valid && (media == MediaClass::kAudio || media == MediaClass::kVideo) &&
         (kind == PacketKind::kSequenceStart || kind == PacketKind::kMpeg2TsSequenceStart);
}

bool MediaKind::is_header() const {
  if (media == MediaClass::kMetadata) return true;
  if (!valid || track_count == 0) return false;
  return is_sequence_header() || kind == PacketKind::kMetadata ||
         kind == PacketKind::kMultichannelConfig;
}

bool is_metadata(const Message& m) {
  return is_metadata_body(m.type, m.payload);
}

bool is_metadata_body(uint8_t type, ByteView body) {
  if (type != uint8_t(MessageType::kDataAmf0)) return false;
  const std::string_view name = first_string(body);
  return name == "@setDataFrame" || name == "onMetaData";
}

MediaKind classify_tag(MediaType media, ByteView body) {
  MediaKind k;
  k.media = media == MediaType::kVideo ? MediaClass::kVideo : MediaClass::kAudio;
  if (body.empty()) {
    k.valid = true;
    return k;
  }
  TagHeader h;
  if (read_tag_header(media, body, h, nullptr) != TagStatus::kOk) return k;
  if (h.enhanced && h.kind != PacketKind::kCommand && h.multitrack != Multitrack::kNone) {
    if (!read_track_ids(h, body, k)) {
      k.tracks.reset();
      k.track_count = 0;
      return k;
    }
  } else {
    k.tracks.set(0);
    k.track_count = 1;
  }
  k.valid = true;
  k.enhanced = h.enhanced;
  k.kind = h.kind;
  k.nano_offset = h.nano_offset;
  k.keyframe = media == MediaType::kVideo && h.frame_type == frame_type::kKey &&
               h.kind != PacketKind::kMetadata;
  return k;
}

MediaKind classify_body(uint8_t type, ByteView body) {
  if (type == uint8_t(MessageType::kAudio)) return classify_tag(MediaType::kAudio, body);
  if (type == uint8_t(MessageType::kVideo)) return classify_tag(MediaType::kVideo, body);
  MediaKind k;
  if (is_metadata_body(type, body)) {
    k.media = MediaClass::kMetadata;
    k.valid = true;
  }
  return k;
}

MediaKind classify(const Message& m) {
  return classify_body(m.type, m.payload);
}

namespace {

// Whether classifying needs the whole body: a ModEx or multitrack enhanced tag, whose track ids
// may lie anywhere in it. Every other tag is classified from its first bytes.
bool needs_whole_body(uint8_t type, ByteView head) {
  if (head.empty()) return false;
  const uint8_t b = head[0], packet = b & 0x0f;
  if (type == uint8_t(MessageType::kVideo)) return (b & 0x80) && (packet == 6 || packet == 7);
  if (type == uint8_t(MessageType::kAudio)) return (b >> 4) == 9 && (packet == 5 || packet == 7);
  return false;
}

}  // namespace

MediaKind classify(const MediaMessage& m) {
  const auto& pieces = m.payload.pieces();
  if (pieces.size() <= 1)
    return classify_body(m.type, pieces.empty() ? ByteView() : pieces[0].bytes);
  uint8_t scratch[64];
  ByteView head = m.payload.front(sizeof scratch, scratch);
  if (!needs_whole_body(m.type, head)) return classify_body(m.type, head);
  const Bytes whole = m.payload.to_bytes();  // rare: a multitrack tag spanning input buffers
  return classify_body(m.type, whole);
}

}  // namespace rtmp
