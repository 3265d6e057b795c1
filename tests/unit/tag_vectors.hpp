// Audio/video tag bodies shared by the tag parser, writer and classification tests: every layout
// of legacy FLV and Enhanced RTMP v2 the core implements, with configuration records taken from
// real encoders (x264, x265, libaom, libvpx, libopus, FFmpeg's AAC and FLAC encoders).
#pragma once

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "flv/media_tag.hpp"
#include "rtmp/amf0.hpp"
#include "util/bytes.hpp"

namespace rtmp::test {

// "01 f4" -> {0x01, 0xf4}; spaces are ignored.
inline Bytes hex(std::string_view s) {
  Bytes out;
  int high = -1;
  for (char c : s) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (v < 0) continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

// Keeps a copy of `b` until the test program ends and returns a view of it: for the views a
// MediaTag holds.
inline ByteView keep(Bytes b) {
  static std::deque<Bytes> store;
  store.push_back(std::move(b));
  return store.back();
}

inline Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline Bytes fcc(const char (&s)[5]) {
  return Bytes{uint8_t(s[0]), uint8_t(s[1]), uint8_t(s[2]), uint8_t(s[3])};
}

inline Bytes u24(uint32_t v) {
  Bytes out;
  put_u24be(out, v);
  return out;
}

inline Bytes sized(const Bytes& track_body) {
  return cat({u24(static_cast<uint32_t>(track_body.size())), track_body});
}

inline Bytes filler(size_t n, uint8_t seed) {
  Bytes out(n);
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<uint8_t>(seed + i * 7);
  return out;
}

// x264 (High 4:4:4, 320x240) AVCDecoderConfigurationRecord, as FFmpeg put it in an FLV tag.
inline Bytes avc_record() {
  return hex(
      "01f4000dffe1001967f4000d919b28283f6022000003000200000300641e28532c01000568ce0f1920"
      "fff8f800");
}
// x265 (Main, 320x240) HEVCDecoderConfigurationRecord, its VPS, SPS and PPS arrays (x265's SEI
// array left out, numOfArrays 3).
inline Bytes hevc_record() {
  return hex(
      "0104080000009e08000000003cf000fcfff8f800000f03200001001740010c01ffff0408000003009e08"
      "00000300003c959409210001002b4201010408000003009e0800000300003c90014101e2cb2b2a526178"
      "0b702020004000000300400000064222000100084401c07318301890");
}
// libaom AV1CodecConfigurationRecord with its sequence header OBU.
inline Bytes av1_record() {
  return hex("812000000a0d200000043cffbcdaf92021a004");
}
// libvpx-vp9 VPCodecConfigurationRecord (with the vpcC version and flags, as FFmpeg writes it).
inline Bytes vp9_record() {
  return hex("010000000114870202000000");
}
// libopus OpusHead (RFC 7845 5.1): version 1, 2 channels, pre-skip 312, 48 kHz, family 0.
inline Bytes opus_head() {
  return hex("4f707573486561640102380180bb0000000000");
}
// FFmpeg FLAC: "fLaC" and the STREAMINFO block (48 kHz, mono, 16 bits).
inline Bytes flac_header() {
  return hex(
      "664c614300000022120012000000c20004ff0bb800f000002580bad7bf8f781a2330b6b7b8712dacb304");
}
// FFmpeg AAC-LC 44.1 kHz stereo AudioSpecificConfig (with its SBR sync extension).
inline Bytes aac_config() {
  return hex("121056e500");
}

inline Bytes amf(const amf0::Value& v) {
  return amf0::encode(v);
}

// An HDR10 colorInfo, as the E-RTMP v2 Metadata Frame section describes it.
inline amf0::Value hdr_color_info() {
  using amf0::Value;
  Value config = Value::Object();
  config.set("bitDepth", Value::Number(10))
      .set("colorPrimaries", Value::Number(9))
      .set("transferCharacteristics", Value::Number(16))
      .set("matrixCoefficients", Value::Number(9));
  Value cll = Value::Object();
  cll.set("maxFall", Value::Number(400)).set("maxCLL", Value::Number(1000));
  Value mdcv = Value::Object();
  mdcv.set("redX", Value::Number(0.708)).set("redY", Value::Number(0.292));
  mdcv.set("greenX", Value::Number(0.17)).set("greenY", Value::Number(0.797));
  mdcv.set("blueX", Value::Number(0.131)).set("blueY", Value::Number(0.046));
  mdcv.set("whitePointX", Value::Number(0.3127)).set("whitePointY", Value::Number(0.329));
  mdcv.set("maxLuminance", Value::Number(1000)).set("minLuminance", Value::Number(0.0001));
  Value info = Value::Object();
  info.set("colorConfig", config).set("hdrCll", cll).set("hdrMdcv", mdcv);
  return info;
}

inline Bytes color_info_payload() {
  return cat({amf(amf0::Value::String("colorInfo")), amf(hdr_color_info())});
}

struct Vector {
  std::string name;
  MediaType media;
  Bytes body;
  // Whether the writer gives back these very bytes (it picks CodedFramesX for a zero
  // composition time, writes 3-byte ModEx data and drops unknown ModEx records).
  bool canonical = true;
};

inline std::vector<Vector> valid_video_vectors() {
  const auto V = MediaType::kVideo;
  const Bytes nal = hex("00000005 6588840021 ffeedd");
  const Bytes obu = hex("12000a0b 0000000c47 32151000");
  return {
      // Legacy video.
      {"avc_sequence_header", V, cat({hex("17 00 000000"), avc_record()})},
      {"avc_nalu_cts", V, cat({hex("27 01 000028"), nal})},
      {"avc_nalu_negative_cts", V, cat({hex("17 01 ffffd8"), nal})},
      {"avc_end_of_sequence", V, hex("17 02 000000")},
      {"legacy_hevc_sequence_header", V, cat({hex("1c 00 000000"), hevc_record()})},
      {"legacy_hevc_frame", V, cat({hex("2c 01 000050"), nal})},
      {"legacy_av1_frame", V, cat({hex("1d 01 000000"), obu})},
      {"legacy_command", V, hex("57 00")},
      {"vp6", V, cat({hex("14 00"), filler(20, 1)})},
      {"sorenson_h263", V, cat({hex("22"), filler(12, 2)})},
      // Enhanced video.
      {"hvc1_sequence_start", V, cat({hex("90"), fcc("hvc1"), hevc_record()})},
      {"hvc1_coded_cts", V, cat({hex("91"), fcc("hvc1"), hex("000021"), nal})},
      {"hvc1_coded_zero_cts", V, cat({hex("91"), fcc("hvc1"), hex("000000"), nal}), false},
      {"hvc1_coded_x", V, cat({hex("a3"), fcc("hvc1"), nal})},
      {"avc1_sequence_start", V, cat({hex("90"), fcc("avc1"), avc_record()})},
      {"avc1_coded_x_key", V, cat({hex("93"), fcc("avc1"), nal})},
      {"av01_sequence_start", V, cat({hex("90"), fcc("av01"), av1_record()})},
      {"av01_empty_sequence_start", V, cat({hex("90"), fcc("av01")})},
      {"av01_coded", V, cat({hex("91"), fcc("av01"), obu})},
      {"vp09_sequence_start", V, cat({hex("90"), fcc("vp09"), vp9_record()})},
      {"vp08_coded", V, cat({hex("a1"), fcc("vp08"), filler(30, 3)})},
      {"vvc1_coded", V, cat({hex("a1"), fcc("vvc1"), hex("fffffe"), nal})},
      {"sequence_end", V, cat({hex("92"), fcc("hvc1")})},
      {"metadata_color_info", V, cat({hex("d4"), fcc("av01"), color_info_payload()})},
      {"metadata_key_frame_type", V, cat({hex("94"), fcc("hvc1"), color_info_payload()})},
      {"mpeg2ts_sequence_start", V, cat({hex("95"), fcc("av01"), hex("80 0400 0b")})},
      {"enhanced_command", V, hex("d1 00")},
      {"unknown_fourcc_hev1", V, cat({hex("91"), fcc("hev1"), nal})},
      {"mod_ex_nano", V, cat({hex("97 02 07a120 01"), fcc("avc1"), hex("000010"), nal})},
      {"mod_ex_16bit_unknown_then_nano", V,
       cat({hex("97 ff 0100"), filler(257, 4), hex("17 02 0003e8 03"), fcc("hvc1"), nal}), false},
      {"mod_ex_nano_4_bytes", V, cat({hex("97 03 000001ff 03"), fcc("avc1"), nal}), false},
      {"mod_ex_command", V, hex("d7 02 000064 01 01")},
      {"one_track", V, cat({hex("96 01"), fcc("hvc1"), hex("03 000010"), nal})},
      {"many_tracks_sequence_start", V,
       cat({hex("96 10"), fcc("avc1"), hex("00"), sized(avc_record()), hex("01"),
            sized(avc_record())})},
      {"many_tracks_many_codecs", V,
       cat({hex("96 21"), fcc("avc1"), hex("00"), sized(cat({hex("000021"), nal})), fcc("av01"),
            hex("01"), sized(obu)})},
      {"many_tracks_coded_x", V,
       cat({hex("a6 13"), fcc("hvc1"), hex("00"), sized(nal), hex("02"), sized(nal)})},
      {"many_tracks_empty_track", V,
       cat({hex("96 11"), fcc("av01"), hex("00"), sized({}), hex("01"), sized(obu)})},
      {"mod_ex_then_multitrack", V,
       cat({hex("97 02 0003e8 06 10"), fcc("hvc1"), hex("00"), sized(hevc_record()), hex("01"),
            sized(hevc_record())})},
      {"many_tracks_metadata", V,
       cat({hex("96 14"), fcc("hvc1"), hex("00"), sized(color_info_payload()), hex("01"),
            sized(color_info_payload())})},
      // FrameType 5 is checked before Multitrack: this is a command frame, not metadata.
      {"multitrack_frame_type_5_is_command", V,
       cat({hex("d6 14"), fcc("hvc1"), hex("00"), sized(color_info_payload())}), false},
      {"empty_video", V, {}},  // an empty video message
  };
}

inline std::vector<Vector> valid_audio_vectors() {
  const auto A = MediaType::kAudio;
  return {
      // Legacy audio.
      {"aac_sequence_header", A, cat({hex("af 00"), aac_config()})},
      {"aac_raw", A, cat({hex("af 01"), filler(40, 5)})},
      {"mp3", A, cat({hex("2f"), hex("fffb9064"), filler(20, 6)})},
      {"pcm_le", A, cat({hex("3e"), filler(16, 7)})},
      {"speex", A, cat({hex("b2"), filler(10, 8)})},
      // Enhanced audio.
      {"opus_sequence_start", A, cat({hex("90"), fcc("Opus"), opus_head()})},
      {"opus_coded", A, cat({hex("91"), fcc("Opus"), hex("fc"), filler(30, 9)})},
      {"opus_sequence_end", A, cat({hex("92"), fcc("Opus")})},
      {"mp4a_sequence_start", A, cat({hex("90"), fcc("mp4a"), aac_config()})},
      {"flac_sequence_start", A, cat({hex("90"), fcc("fLaC"), flac_header()})},
      {"ac3_coded", A, cat({hex("91"), fcc("ac-3"), hex("0b77"), filler(20, 10)})},
      {"eac3_coded", A, cat({hex("91"), fcc("ec-3"), hex("0b77"), filler(20, 11)})},
      {"mp3_coded", A, cat({hex("91"), fcc(".mp3"), hex("fffb9064"), filler(20, 12)})},
      {"multichannel_native", A, cat({hex("94"), fcc("Opus"), hex("01 02 00000003")})},
      {"multichannel_custom", A, cat({hex("94"), fcc("Opus"), hex("02 06 000102030405")})},
      {"multichannel_unspecified", A, cat({hex("94"), fcc("Opus"), hex("00 08")})},
      {"audio_one_track", A, cat({hex("95 01"), fcc("Opus"), hex("01"), hex("fc"), filler(9, 13)})},
      {"audio_many_tracks", A,
       cat({hex("95 11"), fcc("Opus"), hex("00"), sized(filler(9, 14)), hex("01"),
            sized(filler(5, 15))})},
      {"audio_many_codecs_sequence_start", A,
       cat({hex("95 20"), fcc("Opus"), hex("00"), sized(opus_head()), fcc("mp4a"), hex("01"),
            sized(aac_config())})},
      {"audio_many_tracks_multichannel", A,
       cat({hex("95 14"), fcc("Opus"), hex("00"), sized(hex("01 02 00000003")), hex("01"),
            sized(hex("02 01 02"))})},
      {"audio_mod_ex_nano", A, cat({hex("97 02 0f423f 01"), fcc("Opus"), filler(12, 16)})},
      {"empty_audio", A, {}},  // RTMP's audio silence message
  };
}

inline std::vector<Vector> valid_vectors() {
  std::vector<Vector> all = valid_video_vectors();
  for (Vector& v : valid_audio_vectors()) all.push_back(std::move(v));
  return all;
}

inline std::vector<Vector> invalid_vectors() {
  const auto V = MediaType::kVideo;
  const auto A = MediaType::kAudio;
  return {
      {"avc_reserved_packet_type", V, hex("17 03 000000")},
      {"avc_truncated_cts", V, hex("17 01 0000")},
      {"legacy_frame_type_0", V, hex("07 01 000000 00")},
      {"legacy_frame_type_6", V, hex("67 01 000000 00")},
      {"legacy_command_without_byte", V, hex("57")},
      {"enhanced_reserved_packet_type", V, cat({hex("98"), fcc("avc1")})},
      {"enhanced_frame_type_0", V, cat({hex("81"), fcc("av01"), hex("00")})},
      {"enhanced_frame_type_7", V, cat({hex("f1"), fcc("av01"), hex("00")})},
      {"enhanced_command_without_byte", V, hex("d1")},
      {"truncated_fourcc", V, hex("91 617631")},
      {"avc1_truncated_cts", V, cat({hex("91"), fcc("avc1"), hex("00")})},
      {"reserved_multitrack_type", V, cat({hex("96 31"), fcc("avc1"), hex("00")})},
      {"nested_multitrack", V, cat({hex("96 06"), fcc("avc1"), hex("00")})},
      {"mod_ex_inside_multitrack", V, cat({hex("96 07"), fcc("avc1"), hex("00")})},
      {"nano_data_too_short", V, cat({hex("97 01 0000 01"), fcc("av01")})},
      {"truncated_mod_ex", V, hex("97 05 000000")},
      {"truncated_mod_ex_16bit_size", V, hex("97 ff 01")},
      {"multitrack_without_tracks", V, cat({hex("96 11"), fcc("avc1")})},
      {"one_track_without_track_id", V, cat({hex("96 01"), fcc("avc1")})},
      {"track_larger_than_tag", V, cat({hex("96 11"), fcc("av01"), hex("00 000010 aa")})},
      {"truncated_track_size", V, cat({hex("96 11"), fcc("av01"), hex("00 0000")})},
      {"many_codecs_truncated_fourcc", V, hex("96 21 617663")},
      {"metadata_not_amf0", V, cat({hex("94"), fcc("av01"), hex("02 0010 6162")})},
      {"aac_reserved_packet_type", A, hex("af 02 00")},
      {"aac_without_packet_type", A, hex("af")},
      {"audio_reserved_packet_type_3", A, cat({hex("93"), fcc("Opus")})},
      {"audio_reserved_packet_type_6", A, cat({hex("96"), fcc("Opus")})},
      {"multichannel_reserved_order", A, cat({hex("94"), fcc("Opus"), hex("03 02")})},
      {"multichannel_trailing_bytes", A, cat({hex("94"), fcc("Opus"), hex("01 02 00000003 ff")})},
      {"multichannel_short_mapping", A, cat({hex("94"), fcc("Opus"), hex("02 03 0001")})},
      {"multichannel_short_flags", A, cat({hex("94"), fcc("Opus"), hex("01 02 0000")})},
      {"audio_nested_multitrack", A, cat({hex("95 05"), fcc("Opus"), hex("00")})},
  };
}

}  // namespace rtmp::test
