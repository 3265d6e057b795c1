// The configuration records a muxer writes as SequenceStart payloads when the input does not
// carry them as they are: VPCodecConfigurationRecord (VP8, VP9), OpusHead made from stream
// parameters, and the FLAC sequence header made from the stream's header packets. (av1C:
// av1_sequence.hpp. avcC, hvcC, AudioSpecificConfig and an OpusHead packet are taken as given.)
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "flv/codec_records.hpp"
#include "util/bytes.hpp"

namespace rtmp {

// VPCodecConfigurationRecord with the vpcC FullBox version 1 and flags 0 before it, as FFmpeg
// writes it into FLV and MP4 (12 bytes, no codec initialization data).
Bytes write_vp_config(const VpConfig& c);

// The VP9 level (10 for 1.0 ... 62 for 6.2) whose luma picture size and sample rate bounds fit
// the stream (VP9 bitstream spec, Annex A); 0 when the size is unknown.
uint8_t vp9_level(uint32_t width, uint32_t height, double framerate);

// An OpusHead (RFC 7845 5.1) for an Opus stream described by its parameters: version 1,
// pre-skip and output gain 0. Family 0 takes 1 or 2 channels and no mapping; other families
// take stream_count, coupled_count and one mapping entry per channel. nullopt for an invalid
// combination.
struct OpusParams {
  uint8_t channels = 2;
  uint32_t rate = 48000;
  uint8_t family = 0;
  uint8_t stream_count = 1;
  uint8_t coupled_count = 1;
  Bytes mapping;
};
std::optional<Bytes> make_opus_head(const OpusParams& p);

// The FLAC SequenceStart ("fLaC" and the STREAMINFO block, flagged last) from a stream's header
// packets in any of the forms GStreamer carries them in `streamheader`: the Ogg FLAC mapping's
// first packet (0x7F "FLAC" version, count, then "fLaC" and STREAMINFO) as flacparse and flacenc
// give it, "fLaC" and the blocks in one buffer, or "fLaC" alone followed by the blocks
// (matroskademux, enhancedflvdemux). nullopt if no STREAMINFO is found.
std::optional<Bytes> flac_sequence_start(const std::vector<ByteView>& headers);

}  // namespace rtmp
