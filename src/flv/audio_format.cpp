// Audio formats: flvdemux's caps for the legacy SoundFormats (rate and channels from the tag's
// flags), and for the Enhanced RTMP FourCCs what aacparse, mpegaudioparse, opusdec, flacparse /
// flacdec and ac3parse take.
#include <optional>
#include <string_view>

#include "flv/codec_records.hpp"
#include "flv/track_format.hpp"

namespace rtmp {
namespace {

using State = TrackFormat::State;

TrackFormat ready(StreamFormat f) {
  return TrackFormat{State::kReady, std::move(f), 0};
}

StreamFormat named(const char* media_type) {
  StreamFormat f;
  f.media_type = media_type;
  return f;
}

StreamFormat aac_caps() {
  StreamFormat f = named("audio/mpeg");
  f.set_int("mpegversion", 4).set_bool("framed", true).set_string("stream-format", "raw");
  return f;
}

struct LegacyAudio {
  uint32_t rate = 5512;
  uint32_t channels = 1;
  uint32_t width = 8;
};

LegacyAudio legacy_audio(uint8_t sound_format, uint8_t flags) {
  LegacyAudio a;
  a.channels = (flags & 0x01) ? 2 : 1;
  a.width = (flags & 0x02) ? 16 : 8;
  static constexpr uint32_t kRates[] = {5512, 11025, 22050, 44100};
  a.rate = kRates[(flags >> 2) & 3];
  if (sound_format == 5 || sound_format == 14 || sound_format == 7 || sound_format == 8)
    a.rate = 8000;
  else if (sound_format == 4 || sound_format == 11)
    a.rate = 16000;
  return a;
}

std::optional<StreamFormat> legacy_caps(uint8_t sound_format, const LegacyAudio& a) {
  switch (sound_format) {
    case 0:
    case 3:  // PCM, little endian as flvdemux assumes for 0 too
      return named("audio/x-raw")
          .set_string("format", a.width == 8 ? "U8" : "S16LE")
          .set_string("layout", "interleaved");
    case 1:
      return named("audio/x-adpcm").set_string("layout", "swf");
    case 2:
    case 14:
      return named("audio/mpeg")
          .set_int("mpegversion", 1)
          .set_int("layer", 3)
          .set_bool("parsed", true);
    case 4:
    case 5:
    case 6:
      return named("audio/x-nellymoser");
    case 7:
      return named("audio/x-alaw");
    case 8:
      return named("audio/x-mulaw");
    case 11:
      return named("audio/x-speex")
          .set_buffers("streamheader",
                       {flv_speex_header(), empty_vorbis_comment("", "No comments")});
    default:
      return std::nullopt;
  }
}

TrackFormat legacy_format(const TrackConfig& c) {
  const auto sound_format = static_cast<uint8_t>(c.codec.id);
  LegacyAudio a = legacy_audio(sound_format, c.legacy_audio_flags);
  StreamFormat f;
  if (sound_format == legacy_codec::kAac) {
    if (!c.sequence_start) return TrackFormat{State::kNeedsConfig, {}, 0};
    if (auto asc = parse_aac_config(*c.sequence_start)) {
      if (asc->rate) a.rate = asc->rate;
      if (asc->channels) a.channels = asc->channels;
    }
    f = aac_caps();
  } else if (auto caps = legacy_caps(sound_format, a)) {
    f = std::move(*caps);
  } else {
    return {};
  }
  if (sound_format == 11) a.channels = 1;
  f.set_int("rate", a.rate).set_int("channels", a.channels);
  if (sound_format == legacy_codec::kAac) f.set_buffer("codec_data", *c.sequence_start);
  return ready(std::move(f));
}

TrackFormat aac_format(const TrackConfig& c) {
  if (!c.sequence_start) return TrackFormat{State::kNeedsConfig, {}, 0};
  StreamFormat f = aac_caps();
  if (auto asc = parse_aac_config(*c.sequence_start)) {
    if (asc->rate) f.set_int("rate", asc->rate);
    if (asc->channels) f.set_int("channels", asc->channels);
  }
  f.set_buffer("codec_data", *c.sequence_start);
  return ready(std::move(f));
}

// gst_codec_utils_opus_create_caps_from_header(), or the caps from a MultichannelConfig (or
// stereo) when the sequence start is empty or missing.
TrackFormat opus_format(const TrackConfig& c) {
  StreamFormat f = named("audio/x-opus");
  std::optional<OpusHead> head;
  if (c.sequence_start && !c.sequence_start->empty()) {
    head = parse_opus_head(*c.sequence_start);
    if (!head) return {};
  }
  OpusHead h;
  if (head) {
    h = *head;
  } else {
    h.channels = c.channels && c.channels->channel_count > 0 ? c.channels->channel_count : 2;
    if (h.channels > 2) {
      h.family = 255;  // one mono stream per channel: the only layout the config alone implies
      h.stream_count = h.channels;
      for (uint8_t i = 0; i < h.channels; ++i) h.mapping.push_back(i);
    }
    h.coupled_count = h.channels == 2 ? 1 : 0;
  }
  f.set_int("rate", h.input_rate ? h.input_rate : 48000).set_int("channels", h.channels);
  f.set_int("channel-mapping-family", h.family);
  f.set_int("stream-count", h.stream_count).set_int("coupled-count", h.coupled_count);
  if (h.family != 0) f.set_ints("channel-mapping", {h.mapping.begin(), h.mapping.end()});
  if (head) {
    f.set_buffers(
        "streamheader",
        {*c.sequence_start, empty_vorbis_comment("OpusTags", "GStreamer encoded vorbiscomment")});
  }
  return ready(std::move(f));
}

// As matroskademux gives FLAC: framed, and the "fLaC" marker and each metadata block as the
// stream headers (flacparse and flacdec read them from there).
TrackFormat flac_format(const TrackConfig& c) {
  if (!c.sequence_start) return TrackFormat{State::kNeedsConfig, {}, 0};
  auto h = parse_flac_header(*c.sequence_start);
  if (!h) return {};
  StreamFormat f = named("audio/x-flac");
  f.set_bool("framed", true).set_int("rate", h->rate).set_int("channels", h->channels);
  std::vector<Bytes> headers{Bytes{'f', 'L', 'a', 'C'}};
  for (Bytes& b : h->blocks) headers.push_back(std::move(b));
  f.set_buffers("streamheader", std::move(headers));
  return ready(std::move(f));
}

TrackFormat enhanced_format(const TrackConfig& c) {
  switch (codec_kind(MediaType::kAudio, c.codec)) {
    case CodecKind::kAac:
      return aac_format(c);
    case CodecKind::kMp3:
      return ready(named("audio/mpeg").set_int("mpegversion", 1).set_int("layer", 3));
    case CodecKind::kOpus:
      return opus_format(c);
    case CodecKind::kFlac:
      return flac_format(c);
    case CodecKind::kAc3:
      return ready(named("audio/x-ac3").set_bool("framed", true).set_string("alignment", "frame"));
    case CodecKind::kEac3:
      return ready(named("audio/x-eac3").set_bool("framed", true).set_string("alignment", "frame"));
    default:
      return {};
  }
}

}  // namespace

TrackFormat audio_track_format(const TrackConfig& c) {
  return c.codec.enhanced ? enhanced_format(c) : legacy_format(c);
}

}  // namespace rtmp
