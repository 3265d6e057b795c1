// The codec configuration records a demuxer reads to describe a stream (sample rate, channels,
// profile...), and the header packets it makes for decoders that want them. Every reader is
// bounds-checked and returns nullopt for a record it cannot read.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "util/bytes.hpp"

namespace rtmp {

// AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1): the start of it.
struct AacConfig {
  uint8_t object_type = 0;
  uint32_t rate = 0;     // 0: an index without a rate
  uint8_t channels = 0;  // channelConfiguration 1..6 as is, 7 -> 8; 0 when not given
};
std::optional<AacConfig> parse_aac_config(ByteView asc);

// OpusHead (RFC 7845 5.1).
struct OpusHead {
  uint8_t channels = 0;
  uint32_t input_rate = 0;
  uint8_t family = 0;
  uint8_t stream_count = 1;
  uint8_t coupled_count = 0;
  Bytes mapping;  // family != 0: one entry per channel
};
std::optional<OpusHead> parse_opus_head(ByteView head);

// "fLaC" and the metadata blocks that follow it (STREAMINFO first).
struct FlacHeader {
  uint32_t rate = 0;
  uint8_t channels = 0;
  uint8_t bits = 0;
  std::vector<Bytes> blocks;  // each with its 4-byte block header; the last one flagged last
};
std::optional<FlacHeader> parse_flac_header(ByteView header);

// VPCodecConfigurationRecord, with or without the vpcC FullBox version and flags before it.
struct VpConfig {
  uint8_t profile = 0;
  uint8_t level = 0;
  uint8_t bit_depth = 0;
  uint8_t chroma_subsampling = 0;
  bool full_range = false;
  uint8_t primaries = 0;
  uint8_t transfer = 0;
  uint8_t matrix = 0;
};
std::optional<VpConfig> parse_vp_config(ByteView record);

// AV1CodecConfigurationRecord (av1C): marker and version 1, then the sequence fields.
struct Av1Config {
  uint8_t profile = 0;
  uint8_t level = 0;
  uint8_t bit_depth = 8;
  bool monochrome = false;
  bool subsampling_x = true;
  bool subsampling_y = true;
};
std::optional<Av1Config> parse_av1_config(ByteView record);

// A Vorbis comment packet without comments, as gst_tag_list_to_vorbiscomment_buffer() makes it:
// `id`, vendor length (LE), vendor, 0 comments, framing bit.
Bytes empty_vorbis_comment(std::string_view id, std::string_view vendor);
// The 80-byte Speex header flvdemux gives FLV's Speex (16 kHz wideband mono).
Bytes flv_speex_header();

}  // namespace rtmp
