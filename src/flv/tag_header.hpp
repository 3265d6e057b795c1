// The header of an audio/video tag body: the bytes before the first track (enhanced) or the
// payload (legacy). Shared by the full parser (tag_parser.hpp) and the cheap classifier
// (media_kind.hpp): reading it allocates nothing.
//
// Video (first byte):  legacy    FrameType UB[4] | CodecID UB[4]
//                      enhanced  IsExHeader UB[1]=1 | FrameType UB[3] | VideoPacketType UB[4]
// Audio (first byte):  legacy    SoundFormat UB[4] | SoundRate UB[2] | SoundSize UB[1] | Type UB[1]
//                      enhanced  SoundFormat UB[4]=9 | AudioPacketType UB[4]
// Legacy AVC/HEVC(12)/AV1(13) then: AVCPacketType UI8 (0 header, 1 NALUs, 2 end); legacy AAC:
// AACPacketType UI8 (0 header, 1 raw). Enhanced then, in this order (E-RTMP v2):
//   while packet type == ModEx (7): size UI8 (+1; 0xFF: UI16 follows, +1), data[size],
//                                   ModExType UB[4] | packet type UB[4]
//   video FrameType 5 with a packet type other than Metadata: a command frame, UI8 command
//   packet type == Multitrack (video 6, audio 5): AvMultitrackType UB[4] | packet type UB[4]
//   FourCC UI32, unless AvMultitrackType is ManyTracksManyCodecs (then one per track)
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "flv/fourcc.hpp"
#include "flv/media_tag.hpp"
#include "util/bytes.hpp"

namespace rtmp {

enum class TagStatus : uint8_t { kOk, kError };

// Enhanced packet type codes on the wire.
namespace video_packet {
inline constexpr uint8_t kSequenceStart = 0;
inline constexpr uint8_t kCodedFrames = 1;
inline constexpr uint8_t kSequenceEnd = 2;
inline constexpr uint8_t kCodedFramesX = 3;
inline constexpr uint8_t kMetadata = 4;
inline constexpr uint8_t kMpeg2TsSequenceStart = 5;
inline constexpr uint8_t kMultitrack = 6;
inline constexpr uint8_t kModEx = 7;
}  // namespace video_packet
namespace audio_packet {
inline constexpr uint8_t kSequenceStart = 0;
inline constexpr uint8_t kCodedFrames = 1;
inline constexpr uint8_t kSequenceEnd = 2;
inline constexpr uint8_t kMultichannelConfig = 4;
inline constexpr uint8_t kMultitrack = 5;
inline constexpr uint8_t kModEx = 7;
}  // namespace audio_packet
inline constexpr uint8_t kModExTimestampOffsetNano = 0;
inline constexpr uint8_t kVideoExHeaderBit = 0x80;

struct TagHeader {
  MediaType media = MediaType::kVideo;
  bool enhanced = false;
  uint8_t frame_type = 0;          // video FrameType; 0 for audio
  uint8_t legacy_codec = 0;        // legacy CodecID / SoundFormat
  uint8_t legacy_audio_flags = 0;  // legacy audio: the low 4 bits of the first byte
  PacketKind kind = PacketKind::kCodedFrames;
  bool coded_frames_x = false;  // enhanced CodedFramesX: no composition time on the wire
  Multitrack multitrack = Multitrack::kNone;
  FourCc fourcc = 0;         // every track's FourCC, unless kManyTracksManyCodecs
  uint32_t nano_offset = 0;  // the last ModEx TimestampOffsetNano, if any
  size_t size = 0;           // header bytes: the tracks / the legacy payload start here
};

// Whether legacy video of this CodecID has AVCPacketType and CompositionTime (7, 12, 13).
bool legacy_video_is_avc_like(uint32_t codec_id);

// Reads the header of a non-empty `body`. Errors (with a message in *error, if given): empty or
// truncated header, reserved FrameType / packet type / AvMultitrackType, a Multitrack or ModEx
// packet type inside a multitrack header, TimestampOffsetNano data shorter than 3 bytes, a
// command frame without its command byte. ModEx data of other ModExTypes is skipped.
TagStatus read_tag_header(MediaType media, ByteView body, TagHeader& out, std::string* error);

// Sets *error (if not null) to `what`, followed by " (value)" when value >= 0; returns kError.
// The message is only built when it is wanted.
TagStatus tag_error(std::string* error, const char* what, long long value = -1);

}  // namespace rtmp
