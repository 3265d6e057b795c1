// Video formats: the legacy codec ids flvdemux knows, with its caps, and the Enhanced RTMP
// FourCCs with the caps the 1.22 parsers take (h264parse, h265parse, av1parse, vp9parse).
#include <cmath>
#include <numeric>

#include "flv/codec_records.hpp"
#include "flv/track_format.hpp"

namespace rtmp {
namespace {

using State = TrackFormat::State;

TrackFormat ready(StreamFormat f, uint8_t strip = 0) {
  return TrackFormat{State::kReady, std::move(f), strip};
}

StreamFormat named(const char* media_type) {
  StreamFormat f;
  f.media_type = media_type;
  return f;
}

// video/x-h264 / x-h265 / x-h266 in their ISO BMFF form: the record is codec_data.
TrackFormat iso_nal_format(const TrackConfig& c, const char* media_type, const char* form) {
  if (!c.sequence_start) return TrackFormat{State::kNeedsConfig, {}, 0};
  StreamFormat f = named(media_type);
  f.set_string("stream-format", form).set_string("alignment", "au");
  f.set_buffer("codec_data", *c.sequence_start);
  return ready(std::move(f));
}

const char* chroma_format(bool monochrome, bool x, bool y) {
  if (monochrome) return "4:0:0";
  if (x && y) return "4:2:0";
  if (x) return "4:2:2";
  return "4:4:4";
}

TrackFormat av1_format(const TrackConfig& c) {
  StreamFormat f = named("video/x-av1");
  f.set_string("stream-format", "obu-stream").set_string("alignment", "tu");
  if (c.sequence_start && !c.sequence_start->empty()) {
    if (auto r = parse_av1_config(*c.sequence_start)) {
      static constexpr const char* kProfiles[] = {"main", "high", "professional"};
      if (r->profile < 3) f.set_string("profile", kProfiles[r->profile]);
      f.set_uint("bit-depth-luma", r->bit_depth).set_uint("bit-depth-chroma", r->bit_depth);
      f.set_string("chroma-format",
                   chroma_format(r->monochrome, r->subsampling_x, r->subsampling_y));
    }
    f.set_buffer("codec_data", *c.sequence_start);
  }
  return ready(std::move(f));
}

// As qtdemux reads a vpcC: profile, bit depth (8, 10, 12) and chroma format.
TrackFormat vp9_format(const TrackConfig& c) {
  StreamFormat f = named("video/x-vp9");
  if (c.sequence_start) {
    if (auto r = parse_vp_config(*c.sequence_start)) {
      static constexpr const char* kProfiles[] = {"0", "1", "2", "3"};
      if (r->profile < 4) f.set_string("profile", kProfiles[r->profile]);
      if (r->bit_depth == 8 || r->bit_depth == 10 || r->bit_depth == 12)
        f.set_uint("bit-depth-luma", r->bit_depth).set_uint("bit-depth-chroma", r->bit_depth);
      static constexpr const char* kChroma[] = {"4:2:0", "4:2:0", "4:2:2", "4:4:4"};
      if (r->chroma_subsampling < 4) f.set_string("chroma-format", kChroma[r->chroma_subsampling]);
    }
  }
  return ready(std::move(f));
}

TrackFormat enhanced_format(const TrackConfig& c) {
  switch (codec_kind(MediaType::kVideo, c.codec)) {
    case CodecKind::kH264:
      return iso_nal_format(c, "video/x-h264", "avc");
    case CodecKind::kH265:
      return iso_nal_format(c, "video/x-h265", "hvc1");
    case CodecKind::kH266:
      return iso_nal_format(c, "video/x-h266", "vvc1");
    case CodecKind::kAv1:
      return av1_format(c);
    case CodecKind::kVp9:
      return vp9_format(c);
    case CodecKind::kVp8:
      return ready(named("video/x-vp8"));
    default:
      return {};
  }
}

TrackFormat legacy_format(const TrackConfig& c) {
  switch (c.codec.id) {
    case legacy_codec::kSorensonH263:
      return ready(named("video/x-flash-video").set_int("flvversion", 1));
    case legacy_codec::kScreen:
      return ready(named("video/x-flash-screen"));
    case legacy_codec::kVp6:
      return ready(named("video/x-vp6-flash"), 1);
    case legacy_codec::kVp6Alpha:
      return ready(named("video/x-vp6-alpha"), 1);
    case legacy_codec::kAvc:
      return iso_nal_format(c, "video/x-h264", "avc");
    case 8:  // H.263 and MPEG-4 part 2: not in the FLV spec, written by some tools (flvdemux)
      return ready(named("video/x-h263"));
    case 9:
      return ready(named("video/mpeg").set_int("mpegversion", 4).set_bool("systemstream", false));
    case legacy_codec::kHevc:
      return iso_nal_format(c, "video/x-h265", "hvc1");
    case legacy_codec::kAv1:
      return av1_format(c);
    default:
      return {};
  }
}

void add_hints(const VideoHints& h, StreamFormat& f) {
  if (h.par_x > 0 && h.par_y > 0) f.set_fraction("pixel-aspect-ratio", h.par_x, h.par_y);
  if (h.width > 0) f.set_int("width", h.width);
  if (h.height > 0) f.set_int("height", h.height);
  if (h.framerate > 0 && std::isfinite(h.framerate)) {
    int64_t num = 0;
    int64_t den = 1;
    guess_framerate(h.framerate, num, den);
    if (num > 0) f.set_fraction("framerate", num, den);
  }
}

}  // namespace

void guess_framerate(double fps, int64_t& num, int64_t& den) {
  num = 0;
  den = 1;
  if (!(fps > 0) || fps > 1e6) return;
  const double whole = std::round(fps);
  if (whole > 0 && std::fabs(fps - whole) < whole * 0.0005) {
    num = static_cast<int64_t>(whole);
    return;
  }
  const double ntsc = std::round(fps * 1.001);
  if (ntsc > 0 && std::fabs(fps - ntsc / 1.001) < fps * 0.0005) {
    num = static_cast<int64_t>(ntsc) * 1000;
    den = 1001;
    return;
  }
  num = static_cast<int64_t>(std::llround(fps * 1000));
  den = 1000;
  const int64_t g = std::gcd(num, den);
  if (g > 1) {
    num /= g;
    den /= g;
  }
}

TrackFormat video_track_format(const TrackConfig& c) {
  TrackFormat t = c.codec.enhanced ? enhanced_format(c) : legacy_format(c);
  if (t.state == State::kReady) {
    // flvdemux's order: the hints, then codec_data last.
    std::optional<FormatField> codec_data;
    if (!t.format.fields.empty() && t.format.fields.back().name == "codec_data") {
      codec_data = std::move(t.format.fields.back());
      t.format.fields.pop_back();
    }
    add_hints(c.hints, t.format);
    if (codec_data) t.format.fields.push_back(std::move(*codec_data));
  }
  return t;
}

TrackFormat track_format(const TrackConfig& c) {
  return c.media == MediaType::kVideo ? video_track_format(c) : audio_track_format(c);
}

}  // namespace rtmp
