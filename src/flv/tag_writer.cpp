#include "flv/tag_writer.hpp"

#include "flv/tag_validate.hpp"

namespace rtmp {

namespace {

void put_s24(Bytes& out, int32_t v) {
  put_u24be(out, static_cast<uint32_t>(v) & 0xffffff);
}

uint8_t packet_code(MediaType media, PacketKind kind, bool coded_x) {
  const bool video = media == MediaType::kVideo;
  switch (kind) {
    case PacketKind::kSequenceStart:
      return video_packet::kSequenceStart;  // the same code for audio
    case PacketKind::kCodedFrames:
      return coded_x ? video_packet::kCodedFramesX : video_packet::kCodedFrames;
    case PacketKind::kSequenceEnd:
      return video_packet::kSequenceEnd;
    case PacketKind::kMetadata:
      return video_packet::kMetadata;
    case PacketKind::kMpeg2TsSequenceStart:
      return video_packet::kMpeg2TsSequenceStart;
    case PacketKind::kMultichannelConfig:
      return audio_packet::kMultichannelConfig;
    case PacketKind::kCommand:
      return video ? video_packet::kCodedFrames : audio_packet::kCodedFrames;
  }
  return 0;
}

void write_legacy(const MediaTag& tag, Bytes& out) {
  const TrackFrame& f = tag.frames.front();
  const auto codec = static_cast<uint8_t>(f.codec.id);
  if (tag.media == MediaType::kAudio) {
    put_u8(out, static_cast<uint8_t>(codec << 4 | tag.legacy_audio_flags));
    if (codec == legacy_codec::kAac) put_u8(out, f.kind == PacketKind::kSequenceStart ? 0 : 1);
  } else {
    put_u8(out, static_cast<uint8_t>(f.frame_type << 4 | codec));
    if (f.kind != PacketKind::kCommand && legacy_video_is_avc_like(codec)) {
      put_u8(out, f.kind == PacketKind::kSequenceStart ? 0
                  : f.kind == PacketKind::kCodedFrames ? 1
                                                       : 2);
      put_s24(out, f.composition_time);
    }
  }
  put_bytes(out, f.payload);
}

// The first byte, the ModEx TimestampOffsetNano record if any, then `type` (the packet type, or
// Multitrack) in the low nibble of the last of them.
void write_start(const MediaTag& tag, uint8_t type, Bytes& out) {
  const TrackFrame& f = tag.frames.front();
  const uint8_t b0 = tag.media == MediaType::kVideo
                         ? static_cast<uint8_t>(kVideoExHeaderBit | (f.frame_type << 4))
                         : static_cast<uint8_t>(legacy_codec::kExHeader << 4);
  if (f.nano_offset == 0) {
    put_u8(out, b0 | type);
    return;
  }
  put_u8(out, b0 | video_packet::kModEx);
  put_u8(out, 3 - 1);  // ModEx data size - 1
  put_u24be(out, f.nano_offset);
  put_u8(out, static_cast<uint8_t>(kModExTimestampOffsetNano << 4 | type));
}

void write_track_body(const TrackFrame& f, bool coded_x, Bytes& out) {
  if (f.kind == PacketKind::kMultichannelConfig) {
    put_u8(out, f.channels.order);
    put_u8(out, f.channels.channel_count);
    if (f.channels.order == channel_order::kCustom) put_bytes(out, f.channels.mapping);
    if (f.channels.order == channel_order::kNative) put_u32be(out, f.channels.flags);
    return;
  }
  if (f.kind == PacketKind::kCodedFrames && !coded_x && fourcc_has_composition_time(f.codec.id))
    put_s24(out, f.composition_time);
  put_bytes(out, f.payload);
}

void write_enhanced(const MediaTag& tag, Bytes& out) {
  const TrackFrame& first = tag.frames.front();
  const bool coded_x = use_coded_frames_x(tag);
  const uint8_t code = packet_code(tag.media, first.kind, coded_x);
  if (tag.multitrack == Multitrack::kNone) {
    write_start(tag, code, out);
    if (first.kind == PacketKind::kCommand) {
      put_bytes(out, first.payload);
      return;
    }
    put_u32be(out, first.codec.id);
    write_track_body(first, coded_x, out);
    return;
  }
  const bool video = tag.media == MediaType::kVideo;
  write_start(tag, video ? video_packet::kMultitrack : audio_packet::kMultitrack, out);
  const auto mt = static_cast<uint8_t>(static_cast<uint8_t>(tag.multitrack) - 1);
  put_u8(out, static_cast<uint8_t>(mt << 4 | code));
  const bool many_codecs = tag.multitrack == Multitrack::kManyTracksManyCodecs;
  const bool sized = tag.multitrack != Multitrack::kOneTrack;
  if (!many_codecs) put_u32be(out, first.codec.id);
  for (const TrackFrame& f : tag.frames) {
    if (many_codecs) put_u32be(out, f.codec.id);
    put_u8(out, f.track_id);
    if (sized) put_u24be(out, static_cast<uint32_t>(track_body_size(f, coded_x)));
    write_track_body(f, coded_x, out);
  }
}

}  // namespace

TagStatus write_media_tag(const MediaTag& tag, Bytes& out, std::string* error) {
  if (check_writable(tag, error) != TagStatus::kOk) return TagStatus::kError;
  if (tag.frames.empty()) return TagStatus::kOk;
  if (tag.frames.front().codec.enhanced)
    write_enhanced(tag, out);
  else
    write_legacy(tag, out);
  return TagStatus::kOk;
}

std::optional<Codec> preferred_codec(CodecKind kind, bool legacy_if_possible) {
  if (legacy_if_possible) {
    if (kind == CodecKind::kH264) return Codec::legacy(legacy_codec::kAvc);
    if (kind == CodecKind::kAac) return Codec::legacy(legacy_codec::kAac);
    if (kind == CodecKind::kMp3) return Codec::legacy(legacy_codec::kMp3);
  }
  const FourCc f = fourcc_of(kind);
  if (f == 0) return std::nullopt;
  return Codec::four_cc(f);
}

}  // namespace rtmp
