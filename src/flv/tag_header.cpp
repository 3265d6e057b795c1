#include "flv/tag_header.hpp"

#include "flv/byte_cursor.hpp"

namespace rtmp {

namespace {

bool valid_video_frame_type(uint8_t t) {
  return t >= frame_type::kKey && t <= frame_type::kCommand;
}

// ModEx records, until the packet type is not ModEx any more.
TagStatus read_mod_ex(ByteCursor& c, uint8_t& type, TagHeader& h, std::string* error) {
  while (type == video_packet::kModEx) {  // ModEx is 7 for audio and video alike
    uint8_t size8 = 0;
    if (!c.u8(size8)) return tag_error(error, "truncated ModEx size");
    size_t size = size_t{size8} + 1;
    if (size == 256) {
      uint16_t size16 = 0;
      if (!c.u16(size16)) return tag_error(error, "truncated ModEx 16-bit size");
      size = size_t{size16} + 1;
    }
    ByteView data;
    if (!c.take(size, data))
      return tag_error(error, "truncated ModEx data", static_cast<long long>(size));
    uint8_t b = 0;
    if (!c.u8(b)) return tag_error(error, "truncated ModEx type");
    type = b & 0x0f;
    if ((b >> 4) != kModExTimestampOffsetNano) continue;  // unknown ModExType: skipped
    if (size < 3)
      return tag_error(error, "TimestampOffsetNano needs 3 bytes of ModEx data",
                       static_cast<long long>(size));
    h.nano_offset = get_u24be(data.data());
  }
  return TagStatus::kOk;
}

// AvMultitrackType | packet type, after a Multitrack packet type.
TagStatus read_multitrack(ByteCursor& c, uint8_t multitrack_code, uint8_t& type, TagHeader& h,
                          std::string* error) {
  uint8_t b = 0;
  if (!c.u8(b)) return tag_error(error, "truncated multitrack header");
  if ((b >> 4) > 2) return tag_error(error, "reserved AvMultitrackType", b >> 4);
  h.multitrack = static_cast<Multitrack>((b >> 4) + 1);
  type = b & 0x0f;
  if (type == multitrack_code || type == video_packet::kModEx)
    return tag_error(error, "Multitrack or ModEx packet type inside a multitrack tag", type);
  return TagStatus::kOk;
}

TagStatus read_fourcc(ByteCursor& c, TagHeader& h, std::string* error) {
  if (h.multitrack == Multitrack::kManyTracksManyCodecs) return TagStatus::kOk;
  if (!c.u32(h.fourcc)) return tag_error(error, "truncated FourCC");
  return TagStatus::kOk;
}

TagStatus video_kind(uint8_t type, TagHeader& h, std::string* error) {
  switch (type) {
    case video_packet::kSequenceStart:
      h.kind = PacketKind::kSequenceStart;
      break;
    case video_packet::kCodedFramesX:
      h.coded_frames_x = true;
      [[fallthrough]];
    case video_packet::kCodedFrames:
      h.kind = PacketKind::kCodedFrames;
      break;
    case video_packet::kSequenceEnd:
      h.kind = PacketKind::kSequenceEnd;
      break;
    case video_packet::kMetadata:
      h.kind = PacketKind::kMetadata;
      return TagStatus::kOk;  // its FrameType is ignored
    case video_packet::kMpeg2TsSequenceStart:
      h.kind = PacketKind::kMpeg2TsSequenceStart;
      break;
    default:
      return tag_error(error, "reserved VideoPacketType", type);
  }
  if (!valid_video_frame_type(h.frame_type)) {
    return tag_error(error, "reserved FrameType", h.frame_type);
  }
  return TagStatus::kOk;
}

TagStatus legacy_video(ByteCursor& c, uint8_t b0, TagHeader& h, std::string* error) {
  h.legacy_codec = b0 & 0x0f;
  if (!valid_video_frame_type(h.frame_type))
    return tag_error(error, "reserved FrameType", h.frame_type);
  if (h.frame_type == frame_type::kCommand) {
    h.kind = PacketKind::kCommand;
    if (c.left() < 1) return tag_error(error, "command frame without its command byte");
  } else if (legacy_video_is_avc_like(h.legacy_codec)) {
    uint8_t type = 0;
    if (!c.u8(type)) return tag_error(error, "truncated AVCPacketType");
    if (type > 2) return tag_error(error, "reserved AVCPacketType", type);
    static constexpr PacketKind kKinds[] = {PacketKind::kSequenceStart, PacketKind::kCodedFrames,
                                            PacketKind::kSequenceEnd};
    h.kind = kKinds[type];
  }
  h.size = c.pos();
  return TagStatus::kOk;
}

TagStatus enhanced_video(ByteCursor& c, uint8_t b0, TagHeader& h, std::string* error) {
  h.enhanced = true;
  uint8_t type = b0 & 0x0f;
  if (read_mod_ex(c, type, h, error) != TagStatus::kOk) return TagStatus::kError;
  if (h.frame_type == frame_type::kCommand && type != video_packet::kMetadata) {
    h.kind = PacketKind::kCommand;
    if (c.left() < 1) return tag_error(error, "command frame without its command byte");
    h.size = c.pos();
    return TagStatus::kOk;
  }
  if (type == video_packet::kMultitrack &&
      read_multitrack(c, video_packet::kMultitrack, type, h, error) != TagStatus::kOk)
    return TagStatus::kError;
  if (video_kind(type, h, error) != TagStatus::kOk) return TagStatus::kError;
  if (read_fourcc(c, h, error) != TagStatus::kOk) return TagStatus::kError;
  h.size = c.pos();
  return TagStatus::kOk;
}

TagStatus legacy_audio(ByteCursor& c, uint8_t b0, TagHeader& h, std::string* error) {
  h.legacy_codec = b0 >> 4;
  h.legacy_audio_flags = b0 & 0x0f;
  if (h.legacy_codec == legacy_codec::kAac) {
    uint8_t type = 0;
    if (!c.u8(type)) return tag_error(error, "truncated AACPacketType");
    if (type > 1) return tag_error(error, "reserved AACPacketType", type);
    h.kind = type == 0 ? PacketKind::kSequenceStart : PacketKind::kCodedFrames;
  }
  h.size = c.pos();
  return TagStatus::kOk;
}

TagStatus enhanced_audio(ByteCursor& c, uint8_t b0, TagHeader& h, std::string* error) {
  h.enhanced = true;
  uint8_t type = b0 & 0x0f;
  if (read_mod_ex(c, type, h, error) != TagStatus::kOk) return TagStatus::kError;
  if (type == audio_packet::kMultitrack &&
      read_multitrack(c, audio_packet::kMultitrack, type, h, error) != TagStatus::kOk)
    return TagStatus::kError;
  switch (type) {
    case audio_packet::kSequenceStart:
      h.kind = PacketKind::kSequenceStart;
      break;
    case audio_packet::kCodedFrames:
      h.kind = PacketKind::kCodedFrames;
      break;
    case audio_packet::kSequenceEnd:
      h.kind = PacketKind::kSequenceEnd;
      break;
    case audio_packet::kMultichannelConfig:
      h.kind = PacketKind::kMultichannelConfig;
      break;
    default:
      return tag_error(error, "reserved AudioPacketType", type);
  }
  if (read_fourcc(c, h, error) != TagStatus::kOk) return TagStatus::kError;
  h.size = c.pos();
  return TagStatus::kOk;
}

}  // namespace

TagStatus tag_error(std::string* error, const char* what, long long value) {
  if (error) {
    *error = what;
    if (value >= 0) *error += " (" + std::to_string(value) + ")";
  }
  return TagStatus::kError;
}

bool legacy_video_is_avc_like(uint32_t codec_id) {
  return codec_id == legacy_codec::kAvc || codec_id == legacy_codec::kHevc ||
         codec_id == legacy_codec::kAv1;
}

TagStatus read_tag_header(MediaType media, ByteView body, TagHeader& out, std::string* error) {
  out = TagHeader{};
  out.media = media;
  ByteCursor c(body);
  uint8_t b0 = 0;
  if (!c.u8(b0)) return tag_error(error, "empty tag body");
  if (media == MediaType::kVideo) {
    out.frame_type = (b0 >> 4) & 0x07;
    if (b0 & kVideoExHeaderBit) return enhanced_video(c, b0, out, error);
    return legacy_video(c, b0, out, error);
  }
  if ((b0 >> 4) == legacy_codec::kExHeader) return enhanced_audio(c, b0, out, error);
  return legacy_audio(c, b0, out, error);
}

}  // namespace rtmp
