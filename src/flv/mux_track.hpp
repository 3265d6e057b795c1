// One track of an FLV muxer, described without GStreamer (the element makes it from caps): its
// place (media type and Enhanced RTMP track id), its codec, how its tags are to be signalled,
// its SequenceStart payload and what onMetaData says about it. And the decisions that follow
// from it: the codec signalled (legacy id or FourCC), multitrack or not, the legacy audio flags.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "flv/fourcc.hpp"
#include "flv/media_tag.hpp"
#include "util/bytes.hpp"

namespace rtmp {

// How the tags of a track are signalled (the values of upstream eflvmux's flv-track-mode).
enum class TrackMode : uint8_t {
  // Legacy FLV tags when the codec has a legacy id (H.264, AAC, MP3) and the track is 0, else
  // enhanced tags without multitrack (track 0) or multitrack (other tracks). The default.
  kLegacy,
  // Enhanced tags (FourCC) without multitrack for track 0, multitrack for other tracks.
  kEnhanced,
  // Enhanced multitrack tags (OneTrack with the track id) also for track 0.
  kMultitrack,
};

struct MuxTrack {
  MediaType media = MediaType::kVideo;
  uint8_t id = 0;
  CodecKind codec = CodecKind::kUnknown;
  TrackMode mode = TrackMode::kLegacy;
  // The SequenceStart payload (avcC, hvcC, av1C, VPCodecConfigurationRecord, AudioSpecificConfig,
  // OpusHead, "fLaC" + STREAMINFO). Empty for codecs without one (MP3, AC-3, E-AC-3) and for AV1
  // until it is made from the first temporal unit (`av1_config_from_frames`).
  Bytes sequence_start;
  // AV1 without codec_data: the av1C is made from the sequence header of the first key frame,
  // and made again when a key frame carries a different one.
  bool av1_config_from_frames = false;
  // onMetaData.
  uint32_t width = 0;
  uint32_t height = 0;
  double framerate = 0;
  uint32_t par_x = 0;  // pixel aspect ratio; 0: not known
  uint32_t par_y = 0;
  uint32_t sample_rate = 0;
  uint8_t channels = 0;
  uint8_t sample_bits = 16;
  double datarate_kbps = 0;  // 0: not known

  bool operator==(const MuxTrack&) const = default;
};

// Whether a codec can be muxed on a track of this media type (H.264, H.265, AV1, VP9, VP8 on
// video; AAC, MP3, Opus, FLAC, AC-3, E-AC-3 on audio), and whether its frames need a
// SequenceStart before them (all but MP3, AC-3 and E-AC-3).
bool mux_codec_supported(MediaType media, CodecKind codec);
bool mux_codec_needs_sequence_start(CodecKind codec);

// Checks a track before it is used: a supported codec, a SequenceStart where the codec needs one
// (except AV1 from frames), a record that parses (AudioSpecificConfig, OpusHead, fLaC,
// VPCodecConfigurationRecord, av1C) and has the right first byte (avcC, hvcC version 1).
bool validate_mux_track(const MuxTrack& t, std::string* error);

// The codec id the track's tags carry: legacy AVC (7), AAC (10), MP3 (2, or 14 at 8 kHz) for a
// legacy track 0, else the FourCC.
Codec mux_codec(const MuxTrack& t);
// Multitrack::kOneTrack for tracks other than 0 and for kMultitrack; else kNone.
Multitrack mux_multitrack(const MuxTrack& t);
// The low 4 bits of a legacy audio tag's first byte: SoundRate, SoundSize, SoundType. AAC always
// 0xF (44 kHz, 16 bit, stereo, as the FLV spec requires); MP3 the nearest rate at or below the
// stream's (48 kHz as 44 kHz, as FFmpeg writes it).
uint8_t mux_legacy_audio_flags(const MuxTrack& t);
// The number onMetaData's videocodecid / audiocodecid carry: the legacy id or the FourCC.
double mux_codec_id_number(const MuxTrack& t);
// Whether the track's codec defines an end of sequence tag (legacy AVC, every enhanced track).
bool mux_has_sequence_end(const MuxTrack& t);

}  // namespace rtmp
