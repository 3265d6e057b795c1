#include "eflv_mux_caps.hpp"

#include <gst/video/video-color.h>

#include <cstring>
#include <vector>

#include "flv/codec_records.hpp"
#include "flv/mux_records.hpp"

namespace rtmpgst {
namespace {

using rtmp::Bytes;
using rtmp::CodecKind;
using rtmp::MuxTrack;

bool fail(std::string* error, std::string text) {
  if (error) *error = std::move(text);
  return false;
}

Bytes buffer_bytes(GstBuffer* buf) {
  Bytes out(gst_buffer_get_size(buf));
  gst_buffer_extract(buf, 0, out.data(), out.size());
  return out;
}

bool codec_data(const GstStructure* s, Bytes& out) {
  const GValue* v = gst_structure_get_value(s, "codec_data");
  if (!v || !GST_VALUE_HOLDS_BUFFER(v)) return false;
  out = buffer_bytes(gst_value_get_buffer(v));
  return !out.empty();
}

void streamheader(const GstStructure* s, std::vector<Bytes>& out) {
  const GValue* v = gst_structure_get_value(s, "streamheader");
  if (!v || !GST_VALUE_HOLDS_ARRAY(v)) return;
  for (guint i = 0; i < gst_value_array_get_size(v); ++i) {
    const GValue* item = gst_value_array_get_value(v, i);
    if (GST_VALUE_HOLDS_BUFFER(item)) out.push_back(buffer_bytes(gst_value_get_buffer(item)));
  }
}

bool string_is(const GstStructure* s, const char* field, const char* value) {
  const char* v = gst_structure_get_string(s, field);
  return v && std::strcmp(v, value) == 0;
}

void read_video(const GstStructure* s, MuxTrack& t) {
  int w = 0, h = 0, n = 0, d = 0;
  if (gst_structure_get_int(s, "width", &w) && w > 0) t.width = static_cast<uint32_t>(w);
  if (gst_structure_get_int(s, "height", &h) && h > 0) t.height = static_cast<uint32_t>(h);
  if (gst_structure_get_fraction(s, "framerate", &n, &d) && n > 0 && d > 0)
    t.framerate = static_cast<double>(n) / d;
  if (gst_structure_get_fraction(s, "pixel-aspect-ratio", &n, &d) && n > 0 && d > 0) {
    t.par_x = static_cast<uint32_t>(n);
    t.par_y = static_cast<uint32_t>(d);
  }
}

void read_audio(const GstStructure* s, MuxTrack& t) {
  int rate = 0, channels = 0;
  if (gst_structure_get_int(s, "rate", &rate) && rate > 0)
    t.sample_rate = static_cast<uint32_t>(rate);
  if (gst_structure_get_int(s, "channels", &channels) && channels > 0 && channels < 256)
    t.channels = static_cast<uint8_t>(channels);
}

// VPCodecConfigurationRecord from the caps' fields (vp9enc/vp9parse, vp8enc).
void read_vp_config(const GstStructure* s, const MuxTrack& t, rtmp::VpConfig& c) {
  const char* profile = gst_structure_get_string(s, "profile");
  if (profile && profile[0] >= '0' && profile[0] <= '3' && profile[1] == 0)
    c.profile = static_cast<uint8_t>(profile[0] - '0');
  guint depth = 0;
  c.bit_depth = gst_structure_get_uint(s, "bit-depth-luma", &depth) && depth >= 8 && depth <= 12
                    ? static_cast<uint8_t>(depth)
                    : (c.profile >= 2 ? 10 : 8);
  const bool odd = c.profile == 1 || c.profile == 3;
  c.chroma_subsampling = odd ? 3 : 1;  // 4:4:4; 4:2:0 colocated with luma
  if (string_is(s, "chroma-format", "4:2:0")) c.chroma_subsampling = 1;
  if (string_is(s, "chroma-format", "4:2:2")) c.chroma_subsampling = 2;
  if (string_is(s, "chroma-format", "4:4:4")) c.chroma_subsampling = 3;
  if (c.chroma_subsampling == 1 && string_is(s, "chroma-site", "mpeg2")) c.chroma_subsampling = 0;
  c.primaries = c.transfer = c.matrix = 2;  // unspecified
  GstVideoColorimetry color;
  const char* colorimetry = gst_structure_get_string(s, "colorimetry");
  if (colorimetry && gst_video_colorimetry_from_string(&color, colorimetry)) {
    c.primaries = static_cast<uint8_t>(gst_video_color_primaries_to_iso(color.primaries));
    c.transfer = static_cast<uint8_t>(gst_video_transfer_function_to_iso(color.transfer));
    c.matrix = static_cast<uint8_t>(gst_video_color_matrix_to_iso(color.matrix));
    c.full_range = color.range == GST_VIDEO_COLOR_RANGE_0_255;
  }
  if (t.codec == CodecKind::kVp9) c.level = rtmp::vp9_level(t.width, t.height, t.framerate);
}

bool video_track(const GstStructure* s, MuxTrack& t, std::string* error) {
  read_video(s, t);
  if (gst_structure_has_name(s, "video/x-h264") || gst_structure_has_name(s, "video/x-h265")) {
    const bool h264 = gst_structure_has_name(s, "video/x-h264");
    t.codec = h264 ? CodecKind::kH264 : CodecKind::kH265;
    const bool packed =
        h264 ? string_is(s, "stream-format", "avc")
             : string_is(s, "stream-format", "hvc1") || string_is(s, "stream-format", "hev1");
    if (!packed)
      return fail(error, h264 ? "H.264 must be stream-format=avc (use h264parse)"
                              : "H.265 must be stream-format=hvc1 or hev1 (use h265parse)");
    if (!codec_data(s, t.sequence_start)) return fail(error, "no codec_data in the caps");
    return true;
  }
  if (gst_structure_has_name(s, "video/x-av1")) {
    t.codec = CodecKind::kAv1;
    if (gst_structure_has_field(s, "stream-format") && !string_is(s, "stream-format", "obu-stream"))
      return fail(error, "AV1 must be stream-format=obu-stream (use av1parse)");
    if (!codec_data(s, t.sequence_start) || t.sequence_start[0] != 0x81) {
      t.sequence_start.clear();  // made from the sequence header of the first key frame
      t.av1_config_from_frames = true;
    }
    return true;
  }
  if (gst_structure_has_name(s, "video/x-vp9") || gst_structure_has_name(s, "video/x-vp8")) {
    t.codec = gst_structure_has_name(s, "video/x-vp9") ? CodecKind::kVp9 : CodecKind::kVp8;
    if (string_is(s, "alignment", "frame"))  // a tag carries a whole super frame
      return fail(error, "VP9 must be alignment=super-frame (vp9parse gives it)");
    rtmp::VpConfig c;
    read_vp_config(s, t, c);
    t.sequence_start = rtmp::write_vp_config(c);
    return true;
  }
  return fail(error, "not a video format the muxer takes");
}

// An OpusHead from the caps' fields (no streamheader).
std::optional<Bytes> opus_head_from_fields(const GstStructure* s, const MuxTrack& t) {
  rtmp::OpusParams p;
  int family = 0, streams = 1, coupled = 0;
  gst_structure_get_int(s, "channel-mapping-family", &family);
  p.channels = t.channels ? t.channels : 2;
  p.rate = t.sample_rate ? t.sample_rate : 48000;
  p.family = static_cast<uint8_t>(family);
  if (gst_structure_get_int(s, "stream-count", &streams))
    p.stream_count = static_cast<uint8_t>(streams);
  if (gst_structure_get_int(s, "coupled-count", &coupled))
    p.coupled_count = static_cast<uint8_t>(coupled);
  const GValue* map = gst_structure_get_value(s, "channel-mapping");
  if (map && GST_VALUE_HOLDS_ARRAY(map))
    for (guint i = 0; i < gst_value_array_get_size(map); ++i)
      p.mapping.push_back(static_cast<uint8_t>(g_value_get_int(gst_value_array_get_value(map, i))));
  return rtmp::make_opus_head(p);
}

bool opus_track(const GstStructure* s, MuxTrack& t, std::string* error) {
  t.codec = CodecKind::kOpus;
  const GValue* v = gst_structure_get_value(s, "streamheader");
  const GValue* first = v && GST_VALUE_HOLDS_ARRAY(v) && gst_value_array_get_size(v) > 0
                            ? gst_value_array_get_value(v, 0)
                            : nullptr;
  if (first && GST_VALUE_HOLDS_BUFFER(first)) {
    t.sequence_start = buffer_bytes(gst_value_get_buffer(first));
    if (rtmp::parse_opus_head(t.sequence_start)) return true;
  }
  const std::optional<Bytes> head = opus_head_from_fields(s, t);
  if (!head) return fail(error, "Opus caps without a usable OpusHead or channel layout");
  t.sequence_start.assign(head->begin(), head->end());
  return true;
}

bool audio_track(const GstStructure* s, MuxTrack& t, std::string* error) {
  read_audio(s, t);
  int version = 0, layer = 0;
  if (gst_structure_has_name(s, "audio/mpeg") &&
      gst_structure_get_int(s, "mpegversion", &version)) {
    if (version == 1 && gst_structure_get_int(s, "layer", &layer) && layer == 3) {
      t.codec = CodecKind::kMp3;
      return true;
    }
    if (version != 2 && version != 4) return fail(error, "MPEG audio other than MP3 and AAC");
    t.codec = CodecKind::kAac;
    if (!string_is(s, "stream-format", "raw"))
      return fail(error, "AAC must be stream-format=raw (use aacparse)");
    if (!codec_data(s, t.sequence_start)) return fail(error, "no codec_data in the AAC caps");
    if (auto asc = rtmp::parse_aac_config(t.sequence_start)) {
      if (asc->rate) t.sample_rate = asc->rate;
      if (asc->channels) t.channels = asc->channels;
    }
    return true;
  }
  if (gst_structure_has_name(s, "audio/x-opus")) return opus_track(s, t, error);
  if (gst_structure_has_name(s, "audio/x-flac")) {
    t.codec = CodecKind::kFlac;
    // flacenc gives frames without saying so (no `framed` field); flacparse says framed=true.
    gboolean framed = TRUE;
    if (gst_structure_get_boolean(s, "framed", &framed) && !framed)
      return fail(error, "FLAC must be framed, one frame per buffer (use flacparse)");
    std::vector<Bytes> headers;
    streamheader(s, headers);
    std::vector<rtmp::ByteView> views(headers.begin(), headers.end());
    std::optional<Bytes> start = rtmp::flac_sequence_start(views);
    if (!start) return fail(error, "FLAC caps without a STREAMINFO streamheader (use flacparse)");
    t.sequence_start = std::move(*start);
    auto info = rtmp::parse_flac_header(t.sequence_start);
    t.sample_rate = info->rate;
    t.channels = info->channels;
    t.sample_bits = info->bits;
    return true;
  }
  if (gst_structure_has_name(s, "audio/x-ac3") || gst_structure_has_name(s, "audio/x-eac3")) {
    t.codec = gst_structure_has_name(s, "audio/x-ac3") ? CodecKind::kAc3 : CodecKind::kEac3;
    return true;
  }
  return fail(error, "not an audio format the muxer takes");
}

}  // namespace

bool mux_track_from_caps(const GstCaps* caps, rtmp::MediaType media, MuxTrack& out,
                         std::string* error) {
  if (!caps || !gst_caps_is_fixed(caps)) return fail(error, "caps not fixed");
  const GstStructure* s = gst_caps_get_structure(caps, 0);
  MuxTrack t;  // a new description: only the place, the mode and the data rate are kept
  t.media = media;
  t.id = out.id;
  t.mode = out.mode;
  t.datarate_kbps = out.datarate_kbps;
  const bool ok =
      media == rtmp::MediaType::kVideo ? video_track(s, t, error) : audio_track(s, t, error);
  if (!ok) return false;
  if (!rtmp::validate_mux_track(t, error)) return false;
  out = std::move(t);
  return true;
}

bool is_in_band_header(CodecKind codec, GstBuffer* buffer) {
  if (codec != CodecKind::kFlac && codec != CodecKind::kOpus) return false;
  return GST_BUFFER_FLAG_IS_SET(buffer, GST_BUFFER_FLAG_HEADER);
}

}  // namespace rtmpgst
