// The structured description of one audio or video tag body (the payload of an RTMP audio (8) or
// video (9) message, or the data of an FLV tag), legacy FLV or Enhanced RTMP v2: what
// tag_parser.hpp produces and tag_writer.hpp consumes.
//
// A tag carries one frame per track. A legacy tag and an enhanced tag without multitrack carry one
// frame on track 0. In Enhanced RTMP the FrameType, the packet type and the ModEx nanosecond
// offset are written once per tag, so every frame of one tag has the same kind, frame_type and
// nano_offset (the writer checks it); they are repeated in each frame so that a frame can be used
// on its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flv/fourcc.hpp"
#include "rtmp/amf0.hpp"
#include "util/bytes.hpp"

namespace rtmp {

enum class MediaType : uint8_t { kAudio = 8, kVideo = 9 };  // = RTMP message type, FLV tag type

enum class PacketKind : uint8_t {
  kSequenceStart,         // codec configuration record (AVC/AAC sequence header in legacy tags)
  kCodedFrames,           // coded frames (CodedFrames or CodedFramesX; any legacy non-AVC/AAC data)
  kSequenceEnd,           // end of sequence (legacy: AVC end of sequence)
  kMetadata,              // video only: AMF-encoded metadata such as ["colorInfo", {...}]
  kMpeg2TsSequenceStart,  // video only: MPEG-2 TS descriptor (AV1) starting a sequence
  kMultichannelConfig,    // audio only: channel order, count and mapping
  kCommand,               // video only: video info/command frame (FrameType 5), no video data
};

enum class Multitrack : uint8_t { kNone, kOneTrack, kManyTracks, kManyTracksManyCodecs };

// VideoFrameType values.
namespace frame_type {
inline constexpr uint8_t kKey = 1;
inline constexpr uint8_t kInter = 2;
inline constexpr uint8_t kDisposableInter = 3;
inline constexpr uint8_t kGeneratedKey = 4;
inline constexpr uint8_t kCommand = 5;
}  // namespace frame_type

// AudioChannelOrder values.
namespace channel_order {
inline constexpr uint8_t kUnspecified = 0;
inline constexpr uint8_t kNative = 1;  // `flags` says which AudioChannelMask channels are present
inline constexpr uint8_t kCustom = 2;  // `mapping` gives the AudioChannel of each channel
}  // namespace channel_order

struct Codec {
  bool enhanced = false;  // true: `id` is a FourCC; false: a legacy CodecID / SoundFormat
  uint32_t id = 0;        // an enhanced command frame has no FourCC: 0

  static constexpr Codec legacy(uint8_t codec_id) { return Codec{false, codec_id}; }
  static constexpr Codec four_cc(FourCc f) { return Codec{true, f}; }
  bool operator==(const Codec&) const = default;
};

CodecKind codec_kind(MediaType media, Codec codec);

// AudioPacketType.MultichannelConfig.
struct MultichannelConfig {
  uint8_t order = channel_order::kUnspecified;
  uint8_t channel_count = 0;
  ByteView mapping;    // kCustom: channel_count AudioChannel values; else empty
  uint32_t flags = 0;  // kNative: AudioChannelMask bits; else 0

  bool operator==(const MultichannelConfig& o) const;  // `mapping` compared by content
};

struct TrackFrame {
  uint8_t track_id = 0;
  Codec codec;
  PacketKind kind = PacketKind::kCodedFrames;
  uint8_t frame_type = 0;        // video FrameType (frame_type::kKey...); 0 for audio
  int32_t composition_time = 0;  // ms, SI24: legacy AVC/HEVC/AV1, enhanced avc1/hvc1/vvc1 frames
  uint32_t nano_offset = 0;      // ModEx TimestampOffsetNano (ns added to the message timestamp)
  // The codec payload: configuration record, coded frames, AMF metadata, command byte. Parsing
  // makes it a view into the parsed body; for writing it views the caller's bytes. Empty for
  // kMultichannelConfig (see `channels`).
  ByteView payload;
  MultichannelConfig channels;        // kMultichannelConfig
  std::vector<amf0::Value> metadata;  // kMetadata: the AMF0 values the parser decoded (the
                                      // writer writes `payload`, not these)

  // A video key frame: FrameType 1 on anything but metadata (whose FrameType is ignored).
  bool keyframe() const { return frame_type == frame_type::kKey && kind != PacketKind::kMetadata; }
  bool operator==(const TrackFrame& o) const;  // `payload` compared by content
};

struct MediaTag {
  MediaType media = MediaType::kVideo;
  Multitrack multitrack = Multitrack::kNone;
  uint8_t legacy_audio_flags = 0;  // legacy audio: SoundRate, SoundSize, SoundType (low 4 bits)
  std::vector<TrackFrame> frames;  // in body order; empty for an empty body (audio "silence")

  bool operator==(const MediaTag&) const = default;
};

// Whether two value lists have the same AMF0 encoding (unlike Value's ==, a NaN equals itself).
bool same_amf0_values(const std::vector<amf0::Value>& a, const std::vector<amf0::Value>& b);

// The value after the AMF0 string "colorInfo" in a kMetadata frame; nullptr if there is none.
const amf0::Value* color_info(const TrackFrame& frame);
// The payload of a video Metadata frame carrying `info`: AMF0 "colorInfo", then `info`.
Bytes encode_color_info(const amf0::Value& info);

// One line per frame, for logs and test messages.
std::string describe(const MediaTag& tag);

}  // namespace rtmp
