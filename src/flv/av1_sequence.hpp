// AV1 for a muxer: the sequence header OBU of a temporal unit (low overhead bitstream format,
// AV1 spec 5.3 and 5.5) and the AV1CodecConfigurationRecord (av1C, AV1-ISOBMFF 2.3) made from
// it, for encoders and parsers that give no codec_data (GStreamer 1.22's av1parse).
#pragma once

#include <cstdint>
#include <optional>

#include "util/bytes.hpp"

namespace rtmp {

// The fields of a sequence header that av1C repeats.
struct Av1SequenceInfo {
  uint8_t profile = 0;
  uint8_t level = 0;  // seq_level_idx[0]
  uint8_t tier = 0;   // seq_tier[0]
  bool high_bitdepth = false;
  bool twelve_bit = false;
  bool monochrome = false;
  bool subsampling_x = true;
  bool subsampling_y = true;
  uint8_t chroma_sample_position = 0;
  uint32_t max_width = 0;  // max_frame_width_minus_1 + 1
  uint32_t max_height = 0;

  bool operator==(const Av1SequenceInfo&) const = default;
};

// Reads a sequence_header_obu() payload (after the OBU header and size). nullopt when it is
// truncated or uses values the spec reserves.
std::optional<Av1SequenceInfo> parse_av1_sequence_header(ByteView payload);

// The first OBU_SEQUENCE_HEADER of a temporal unit, rewritten with obu_has_size_field set (as
// av1C's configOBUs carry it). nullopt if the unit has none or its OBUs do not parse (an OBU
// header or size running past the end, the forbidden bit set).
std::optional<Bytes> find_av1_sequence_header_obu(ByteView temporal_unit);

// av1C for a temporal unit that carries a sequence header: marker and version 1, the fields of
// the sequence header, no initial presentation delay, the sequence header OBU as configOBUs.
std::optional<Bytes> av1_config_from_temporal_unit(ByteView temporal_unit);

}  // namespace rtmp
