// FourCC codec identifiers of Enhanced RTMP (E-RTMP v2), and the codecs behind both them and the
// legacy FLV codec ids.
//
// A FourCC is four ASCII characters read as a big-endian UI32: "av01" == 0x61763031. That is also
// how onMetaData's videocodecid / audiocodecid carry it (as an AMF0 number).
#pragma once

#include <cstdint>
#include <string>

namespace rtmp {

using FourCc = uint32_t;

constexpr FourCc make_fourcc(const char (&s)[5]) {
  return (FourCc{static_cast<uint8_t>(s[0])} << 24) | (FourCc{static_cast<uint8_t>(s[1])} << 16) |
         (FourCc{static_cast<uint8_t>(s[2])} << 8) | FourCc{static_cast<uint8_t>(s[3])};
}

namespace fourcc {
// Video (VideoFourCc).
inline constexpr FourCc kAvc = make_fourcc("avc1");
inline constexpr FourCc kHevc = make_fourcc("hvc1");
inline constexpr FourCc kVvc = make_fourcc("vvc1");
inline constexpr FourCc kAv1 = make_fourcc("av01");
inline constexpr FourCc kVp9 = make_fourcc("vp09");
inline constexpr FourCc kVp8 = make_fourcc("vp08");
// Audio (AudioFourCc).
inline constexpr FourCc kAac = make_fourcc("mp4a");
inline constexpr FourCc kMp3 = make_fourcc(".mp3");
inline constexpr FourCc kOpus = make_fourcc("Opus");
inline constexpr FourCc kFlac = make_fourcc("fLaC");
inline constexpr FourCc kAc3 = make_fourcc("ac-3");
inline constexpr FourCc kEac3 = make_fourcc("ec-3");
}  // namespace fourcc

// Legacy FLV codec ids: the VideoTagHeader's CodecID and the AudioTagHeader's SoundFormat.
namespace legacy_codec {
inline constexpr uint8_t kSorensonH263 = 2;
inline constexpr uint8_t kScreen = 3;
inline constexpr uint8_t kVp6 = 4;
inline constexpr uint8_t kVp6Alpha = 5;
inline constexpr uint8_t kScreenV2 = 6;
inline constexpr uint8_t kAvc = 7;
inline constexpr uint8_t kHevc = 12;  // CDN extension (CDN-Union / Tencent), laid out like AVC
inline constexpr uint8_t kAv1 = 13;   // Tencent extension, laid out like AVC
inline constexpr uint8_t kMp3 = 2;
inline constexpr uint8_t kExHeader = 9;  // audio: SoundFormat 9 switches to the FourCC header
inline constexpr uint8_t kAac = 10;
inline constexpr uint8_t kMp3_8k = 14;
}  // namespace legacy_codec

// The codec one tag carries, whichever way it was signalled.
enum class CodecKind : uint8_t {
  kUnknown,  // a FourCC or legacy id this code gives no meaning to (kept as data)
  kH264,
  kH265,
  kH266,
  kAv1,
  kVp9,
  kVp8,
  kLegacyVideo,  // Sorenson H.263, screen video, VP6, VP6 alpha, screen video 2
  kAac,
  kMp3,
  kOpus,
  kFlac,
  kAc3,
  kEac3,
  kLegacyAudio,  // PCM, ADPCM, Nellymoser, G.711, Speex, device-specific
};

// "av01"; bytes outside printable ASCII as \xNN.
std::string fourcc_to_string(FourCc f);
CodecKind codec_kind_of_fourcc(FourCc f);
CodecKind codec_kind_of_legacy_video(uint8_t codec_id);
CodecKind codec_kind_of_legacy_audio(uint8_t sound_format);
// The FourCC for a codec; 0 for kUnknown and the legacy-only kinds.
FourCc fourcc_of(CodecKind kind);
// Whether CodedFrames of this FourCC start with an SI24 composition time (avc1, hvc1, vvc1).
bool fourcc_has_composition_time(FourCc f);

}  // namespace rtmp
