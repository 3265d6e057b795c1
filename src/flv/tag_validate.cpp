#include "flv/tag_validate.hpp"

#include <vector>

namespace rtmp {

namespace {

constexpr int32_t kSi24Min = -0x800000;
constexpr int32_t kSi24Max = 0x7fffff;
constexpr size_t kMaxU24 = 0xffffff;

bool is_sized(Multitrack m) {
  return m == Multitrack::kManyTracks || m == Multitrack::kManyTracksManyCodecs;
}

bool has_composition_time(const TrackFrame& f, bool coded_frames_x) {
  return f.kind == PacketKind::kCodedFrames && !coded_frames_x &&
         fourcc_has_composition_time(f.codec.id);
}

TagStatus check_channels(const TrackFrame& f, std::string* error) {
  const MultichannelConfig& c = f.channels;
  if (!f.payload.empty()) return tag_error(error, "MultichannelConfig with a payload");
  if (c.order > channel_order::kCustom) return tag_error(error, "reserved AudioChannelOrder");
  if (c.order == channel_order::kCustom && c.mapping.size() != c.channel_count)
    return tag_error(error, "custom channel mapping size differs from the channel count");
  if (c.order != channel_order::kCustom && !c.mapping.empty())
    return tag_error(error, "channel mapping without the custom channel order");
  if (c.order != channel_order::kNative && c.flags != 0)
    return tag_error(error, "channel flags without the native channel order");
  return TagStatus::kOk;
}

TagStatus check_metadata(const TrackFrame& f, std::string* error) {
  std::vector<amf0::Value> decoded;
  if (!amf0::decode_all(f.payload, decoded, nullptr))
    return tag_error(error, "video metadata payload is not AMF0");
  if (!same_amf0_values(decoded, f.metadata))
    return tag_error(error, "video metadata values differ from the payload's");
  return TagStatus::kOk;
}

// Fields that only one kind carries.
TagStatus check_extras(const TrackFrame& f, std::string* error) {
  if (f.kind == PacketKind::kMultichannelConfig) return check_channels(f, error);
  if (!(f.channels == MultichannelConfig{}))
    return tag_error(error, "channels on a frame that is not a MultichannelConfig");
  if (f.kind == PacketKind::kMetadata) return check_metadata(f, error);
  if (!f.metadata.empty()) return tag_error(error, "metadata values on a non-metadata frame");
  return TagStatus::kOk;
}

TagStatus check_legacy_video(const MediaTag& tag, const TrackFrame& f, std::string* error) {
  if (tag.legacy_audio_flags != 0) return tag_error(error, "audio flags on a video tag");
  if (f.frame_type < frame_type::kKey || f.frame_type > frame_type::kCommand)
    return tag_error(error, "reserved FrameType", f.frame_type);
  if ((f.kind == PacketKind::kCommand) != (f.frame_type == frame_type::kCommand))
    return tag_error(error, "a command frame is FrameType 5, and FrameType 5 a command frame");
  if (f.kind == PacketKind::kCommand) {
    if (f.payload.empty()) return tag_error(error, "command frame without its command byte");
    if (f.composition_time != 0) return tag_error(error, "composition time on a command frame");
    return TagStatus::kOk;
  }
  if (!legacy_video_is_avc_like(f.codec.id)) {
    if (f.kind != PacketKind::kCodedFrames || f.composition_time != 0)
      return tag_error(error, "legacy video of this codec is only coded frames", f.codec.id);
    return TagStatus::kOk;
  }
  if (f.kind != PacketKind::kSequenceStart && f.kind != PacketKind::kCodedFrames &&
      f.kind != PacketKind::kSequenceEnd)
    return tag_error(error, "legacy AVC-like video has no such packet type");
  if (f.composition_time < kSi24Min || f.composition_time > kSi24Max)
    return tag_error(error, "composition time outside SI24");
  return TagStatus::kOk;
}

TagStatus check_legacy_audio(const MediaTag& tag, const TrackFrame& f, std::string* error) {
  if (tag.legacy_audio_flags > 0xf) return tag_error(error, "legacy audio flags over 4 bits");
  if (f.codec.id == legacy_codec::kExHeader)
    return tag_error(error, "SoundFormat 9 is the enhanced header, not a legacy codec");
  if (f.frame_type != 0 || f.composition_time != 0)
    return tag_error(error, "frame type or composition time on audio");
  const bool aac = f.codec.id == legacy_codec::kAac;
  if (f.kind == PacketKind::kCodedFrames || (aac && f.kind == PacketKind::kSequenceStart))
    return TagStatus::kOk;
  return tag_error(error, "legacy audio of this codec has no such packet type", f.codec.id);
}

TagStatus check_legacy(const MediaTag& tag, std::string* error) {
  const TrackFrame& f = tag.frames.front();
  if (tag.frames.size() != 1 || tag.multitrack != Multitrack::kNone)
    return tag_error(error, "a legacy tag carries one frame, without multitrack");
  if (f.track_id != 0 || f.nano_offset != 0)
    return tag_error(error, "a legacy tag has no track id and no nano offset");
  if (f.codec.id > 0xf) return tag_error(error, "legacy codec id over 4 bits");
  if (check_extras(f, error) != TagStatus::kOk) return TagStatus::kError;
  if (tag.media == MediaType::kVideo) return check_legacy_video(tag, f, error);
  return check_legacy_audio(tag, f, error);
}

TagStatus check_track_count(const MediaTag& tag, std::string* error) {
  const size_t n = tag.frames.size();
  if (tag.multitrack == Multitrack::kNone || tag.multitrack == Multitrack::kOneTrack) {
    if (n != 1)
      return tag_error(error, "several frames need ManyTracks", static_cast<long long>(n));
  }
  if (tag.multitrack == Multitrack::kNone && tag.frames.front().track_id != 0)
    return tag_error(error, "a track id other than 0 needs multitrack");
  return TagStatus::kOk;
}

TagStatus check_enhanced_kind(const MediaTag& tag, const TrackFrame& f, std::string* error) {
  const bool video = tag.media == MediaType::kVideo;
  switch (f.kind) {
    case PacketKind::kSequenceStart:
    case PacketKind::kCodedFrames:
    case PacketKind::kSequenceEnd:
      break;
    case PacketKind::kMetadata:
    case PacketKind::kMpeg2TsSequenceStart:
    case PacketKind::kCommand:
      if (!video) return tag_error(error, "video packet type in an audio tag");
      break;
    case PacketKind::kMultichannelConfig:
      if (video) return tag_error(error, "MultichannelConfig in a video tag");
      break;
  }
  if (!video) {
    if (f.frame_type != 0) return tag_error(error, "frame type on audio");
    return TagStatus::kOk;
  }
  if (f.kind == PacketKind::kMetadata) {
    if (f.frame_type > 7) return tag_error(error, "FrameType over 3 bits");
    // FrameType 5 is read as a command frame before the Multitrack packet type is seen.
    if (f.frame_type == frame_type::kCommand && tag.multitrack != Multitrack::kNone)
      return tag_error(error, "multitrack Metadata with FrameType 5 would read as a command");
    return TagStatus::kOk;
  }
  if (f.kind == PacketKind::kCommand) {
    if (f.frame_type != frame_type::kCommand || tag.multitrack != Multitrack::kNone ||
        f.codec.id != 0 || f.payload.empty())
      return tag_error(error,
                       "an enhanced command frame is FrameType 5, one frame, no FourCC, "
                       "and its command byte");
    return TagStatus::kOk;
  }
  if (f.frame_type < frame_type::kKey || f.frame_type > frame_type::kGeneratedKey)
    return tag_error(error, "reserved FrameType for this packet type", f.frame_type);
  return TagStatus::kOk;
}

TagStatus check_enhanced_frame(const MediaTag& tag, const TrackFrame& f, bool coded_x,
                               std::string* error) {
  const TrackFrame& first = tag.frames.front();
  if (f.kind != first.kind || f.frame_type != first.frame_type ||
      f.nano_offset != first.nano_offset)
    return tag_error(error, "frames of one tag differ in kind, frame type or nano offset");
  if (tag.multitrack != Multitrack::kManyTracksManyCodecs && !(f.codec == first.codec))
    return tag_error(error, "frames of different codecs need ManyTracksManyCodecs");
  if (f.nano_offset > kMaxU24) return tag_error(error, "nano offset over 24 bits");
  if (f.composition_time != 0 && !has_composition_time(f, coded_x))
    return tag_error(error, "composition time on a codec or packet type without one");
  if (f.composition_time < kSi24Min || f.composition_time > kSi24Max)
    return tag_error(error, "composition time outside SI24");
  if (is_sized(tag.multitrack) && track_body_size(f, coded_x) > kMaxU24)
    return tag_error(error, "track body over 0xFFFFFF bytes");
  if (check_enhanced_kind(tag, f, error) != TagStatus::kOk) return TagStatus::kError;
  return check_extras(f, error);
}

TagStatus check_enhanced(const MediaTag& tag, std::string* error) {
  if (tag.legacy_audio_flags != 0) return tag_error(error, "legacy audio flags on an enhanced tag");
  if (check_track_count(tag, error) != TagStatus::kOk) return TagStatus::kError;
  const bool coded_x = use_coded_frames_x(tag);
  for (const TrackFrame& f : tag.frames)
    if (check_enhanced_frame(tag, f, coded_x, error) != TagStatus::kOk) return TagStatus::kError;
  return TagStatus::kOk;
}

}  // namespace

bool use_coded_frames_x(const MediaTag& tag) {
  if (tag.media != MediaType::kVideo || tag.frames.empty()) return false;
  bool saves_bytes = false;
  for (const TrackFrame& f : tag.frames) {
    if (f.kind != PacketKind::kCodedFrames || !f.codec.enhanced) return false;
    if (!fourcc_has_composition_time(f.codec.id)) continue;
    if (f.composition_time != 0) return false;
    saves_bytes = true;
  }
  return saves_bytes;
}

size_t track_body_size(const TrackFrame& f, bool coded_frames_x) {
  if (f.kind == PacketKind::kMultichannelConfig) {
    if (f.channels.order == channel_order::kCustom) return 2 + f.channels.mapping.size();
    return f.channels.order == channel_order::kNative ? 6 : 2;
  }
  return (has_composition_time(f, coded_frames_x) ? 3 : 0) + f.payload.size();
}

TagStatus check_writable(const MediaTag& tag, std::string* error) {
  if (tag.frames.empty()) {
    if (tag.multitrack != Multitrack::kNone || tag.legacy_audio_flags != 0)
      return tag_error(error, "an empty tag has no multitrack type and no audio flags");
    return TagStatus::kOk;
  }
  for (const TrackFrame& f : tag.frames)
    if (f.codec.enhanced != tag.frames.front().codec.enhanced)
      return tag_error(error, "frames mix legacy and enhanced codecs");
  if (!tag.frames.front().codec.enhanced) return check_legacy(tag, error);
  return check_enhanced(tag, error);
}

}  // namespace rtmp
