#include "flv/mux_track.hpp"

#include "flv/codec_records.hpp"
#include "flv/flv_format.hpp"
#include "flv/tag_writer.hpp"

namespace rtmp {
namespace {

// Room for the largest tag header in front of a record: ModEx, multitrack byte, FourCC, id.
constexpr size_t kMaxRecordSize = kFlvMaxTagSize - 16;

bool fail(std::string* error, std::string text) {
  if (error) *error = std::move(text);
  return false;
}

bool has_legacy_id(CodecKind k) {
  return k == CodecKind::kH264 || k == CodecKind::kAac || k == CodecKind::kMp3;
}

bool record_parses(CodecKind codec, ByteView r) {
  switch (codec) {
    case CodecKind::kH264:
    case CodecKind::kH265:
      return r.size() >= 7 && r[0] == 1;  // configurationVersion 1
    case CodecKind::kAv1:
      return parse_av1_config(r).has_value();
    case CodecKind::kVp9:
    case CodecKind::kVp8:
      return parse_vp_config(r).has_value();
    case CodecKind::kAac:
      return r.size() >= 2 && parse_aac_config(r).has_value();
    case CodecKind::kOpus:
      return parse_opus_head(r).has_value();
    case CodecKind::kFlac:
      return parse_flac_header(r).has_value();
    default:
      return true;
  }
}

}  // namespace

bool mux_codec_supported(MediaType media, CodecKind codec) {
  switch (codec) {
    case CodecKind::kH264:
    case CodecKind::kH265:
    case CodecKind::kAv1:
    case CodecKind::kVp9:
    case CodecKind::kVp8:
      return media == MediaType::kVideo;
    case CodecKind::kAac:
    case CodecKind::kMp3:
    case CodecKind::kOpus:
    case CodecKind::kFlac:
    case CodecKind::kAc3:
    case CodecKind::kEac3:
      return media == MediaType::kAudio;
    default:
      return false;
  }
}

bool mux_codec_needs_sequence_start(CodecKind codec) {
  return codec != CodecKind::kMp3 && codec != CodecKind::kAc3 && codec != CodecKind::kEac3;
}

bool validate_mux_track(const MuxTrack& t, std::string* error) {
  if (!mux_codec_supported(t.media, t.codec))
    return fail(error, "codec not supported on this track");
  const bool from_frames = t.codec == CodecKind::kAv1 && t.av1_config_from_frames;
  if (t.sequence_start.empty()) {
    if (mux_codec_needs_sequence_start(t.codec) && !from_frames)
      return fail(error, "no codec configuration (codec_data or streamheader) for this codec");
    return true;
  }
  if (!mux_codec_needs_sequence_start(t.codec))
    return fail(error, "this codec has no sequence start");
  if (t.sequence_start.size() > kMaxRecordSize)
    return fail(error, "codec configuration larger than an FLV tag");
  if (!record_parses(t.codec, t.sequence_start))
    return fail(error, "malformed codec configuration record");
  return true;
}

Codec mux_codec(const MuxTrack& t) {
  if (t.id == 0 && t.mode == TrackMode::kLegacy && has_legacy_id(t.codec)) {
    if (t.codec == CodecKind::kMp3 && t.sample_rate == 8000)
      return Codec::legacy(legacy_codec::kMp3_8k);
    return *preferred_codec(t.codec, true);
  }
  return Codec::four_cc(fourcc_of(t.codec));
}

Multitrack mux_multitrack(const MuxTrack& t) {
  return t.id != 0 || t.mode == TrackMode::kMultitrack ? Multitrack::kOneTrack : Multitrack::kNone;
}

uint8_t mux_legacy_audio_flags(const MuxTrack& t) {
  if (t.codec == CodecKind::kAac) return 0x0f;
  uint8_t rate = 3;  // 44 kHz (and above)
  if (t.sample_rate <= 5512)
    rate = 0;
  else if (t.sample_rate <= 11025)
    rate = 1;
  else if (t.sample_rate <= 22050)
    rate = 2;
  const uint8_t size = t.sample_bits == 8 ? 0 : 1;
  const uint8_t stereo = t.channels > 1 ? 1 : 0;
  return static_cast<uint8_t>(rate << 2 | size << 1 | stereo);
}

double mux_codec_id_number(const MuxTrack& t) {
  return static_cast<double>(mux_codec(t).id);
}

bool mux_has_sequence_end(const MuxTrack& t) {
  const Codec c = mux_codec(t);
  return c.enhanced || (t.media == MediaType::kVideo && c.id == legacy_codec::kAvc);
}

}  // namespace rtmp
