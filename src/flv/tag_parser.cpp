#include "flv/tag_parser.hpp"

#include <utility>

#include "flv/byte_cursor.hpp"

namespace rtmp {

namespace {

TagStatus parse_multichannel(ByteView track, MultichannelConfig& out, std::string* error) {
  ByteCursor c(track);
  if (!c.u8(out.order) || !c.u8(out.channel_count))
    return tag_error(error, "truncated MultichannelConfig");
  if (out.order == channel_order::kCustom) {
    if (!c.take(out.channel_count, out.mapping))
      return tag_error(error, "truncated MultichannelConfig channel mapping");
  } else if (out.order == channel_order::kNative) {
    if (!c.u32(out.flags)) return tag_error(error, "truncated MultichannelConfig channel flags");
  } else if (out.order != channel_order::kUnspecified) {
    return tag_error(error, "reserved AudioChannelOrder", out.order);
  }
  if (c.left() != 0)
    return tag_error(error, "bytes after MultichannelConfig", static_cast<long long>(c.left()));
  return TagStatus::kOk;
}

TagStatus parse_metadata(ByteView track, TrackFrame& f, std::string* error) {
  f.payload = track;
  std::string amf_error;
  if (amf0::decode_all(track, f.metadata, error ? &amf_error : nullptr)) return TagStatus::kOk;
  if (error) *error = "video metadata: " + amf_error;
  return TagStatus::kError;
}

// One enhanced track's body (after its FourCC, track id and size).
TagStatus parse_track_body(const TagHeader& h, ByteView track, TrackFrame& f, std::string* error) {
  ByteCursor c(track);
  switch (f.kind) {
    case PacketKind::kCodedFrames:
      if (!h.coded_frames_x && fourcc_has_composition_time(f.codec.id) &&
          !c.s24(f.composition_time))
        return tag_error(error, "truncated composition time");
      f.payload = c.rest();
      return TagStatus::kOk;
    case PacketKind::kMetadata:
      return parse_metadata(track, f, error);
    case PacketKind::kMultichannelConfig:
      return parse_multichannel(track, f.channels, error);
    default:
      f.payload = track;
      return TagStatus::kOk;
  }
}

TrackFrame frame_of(const TagHeader& h) {
  TrackFrame f;
  f.kind = h.kind;
  f.frame_type = h.frame_type;
  f.nano_offset = h.nano_offset;
  return f;
}

TagStatus parse_tracks(const TagHeader& h, ByteCursor& c, MediaTag& out, std::string* error) {
  const bool sized =
      h.multitrack == Multitrack::kManyTracks || h.multitrack == Multitrack::kManyTracksManyCodecs;
  do {
    TrackFrame f = frame_of(h);
    FourCc fourcc = h.fourcc;
    if (h.multitrack == Multitrack::kManyTracksManyCodecs && !c.u32(fourcc))
      return tag_error(error, "truncated FourCC of track",
                       static_cast<long long>(out.frames.size()));
    f.codec = Codec::four_cc(fourcc);
    if (h.multitrack != Multitrack::kNone && !c.u8(f.track_id))
      return tag_error(error, "truncated track id of track",
                       static_cast<long long>(out.frames.size()));
    ByteView track;
    if (sized) {
      uint32_t size = 0;
      if (!c.u24(size))
        return tag_error(error, "truncated size of track",
                         static_cast<long long>(out.frames.size()));
      if (!c.take(size, track))
        return tag_error(error, "track larger than the rest of the tag", size);
    } else {
      track = c.rest();
    }
    if (parse_track_body(h, track, f, error) != TagStatus::kOk) return TagStatus::kError;
    out.frames.push_back(std::move(f));
  } while (sized && c.left() > 0);
  return TagStatus::kOk;
}

TagStatus parse_legacy(const TagHeader& h, ByteCursor& c, MediaTag& out, std::string* error) {
  TrackFrame f = frame_of(h);
  f.codec = Codec::legacy(h.legacy_codec);
  if (h.media == MediaType::kVideo && h.kind != PacketKind::kCommand &&
      legacy_video_is_avc_like(h.legacy_codec) && !c.s24(f.composition_time))
    return tag_error(error, "truncated composition time");
  f.payload = c.rest();
  out.frames.push_back(std::move(f));
  return TagStatus::kOk;
}

}  // namespace

TagStatus parse_media_tag(MediaType media, ByteView body, MediaTag& out, std::string* error) {
  out = MediaTag{};
  out.media = media;
  if (body.empty()) return TagStatus::kOk;
  TagHeader h;
  if (read_tag_header(media, body, h, error) != TagStatus::kOk) return TagStatus::kError;
  out.multitrack = h.multitrack;
  out.legacy_audio_flags = h.legacy_audio_flags;
  ByteCursor c(body, h.size);
  if (!h.enhanced) return parse_legacy(h, c, out, error);
  if (h.kind == PacketKind::kCommand) {
    TrackFrame f = frame_of(h);
    f.codec = Codec::four_cc(0);
    f.payload = c.rest();
    out.frames.push_back(std::move(f));
    return TagStatus::kOk;
  }
  return parse_tracks(h, c, out, error);
}

TagStatus parse_message(const Message& m, MediaTag& out, std::string* error) {
  if (m.type != uint8_t(MessageType::kAudio) && m.type != uint8_t(MessageType::kVideo)) {
    out = MediaTag{};
    return tag_error(error, "not an audio or video message", m.type);
  }
  return parse_media_tag(static_cast<MediaType>(m.type), m.payload, out, error);
}

}  // namespace rtmp
