#include "flv/fourcc.hpp"

#include <array>
#include <utility>

namespace rtmp {

namespace {

constexpr std::array<std::pair<FourCc, CodecKind>, 12> kFourCcs = {{
    {fourcc::kAvc, CodecKind::kH264},
    {fourcc::kHevc, CodecKind::kH265},
    {fourcc::kVvc, CodecKind::kH266},
    {fourcc::kAv1, CodecKind::kAv1},
    {fourcc::kVp9, CodecKind::kVp9},
    {fourcc::kVp8, CodecKind::kVp8},
    {fourcc::kAac, CodecKind::kAac},
    {fourcc::kMp3, CodecKind::kMp3},
    {fourcc::kOpus, CodecKind::kOpus},
    {fourcc::kFlac, CodecKind::kFlac},
    {fourcc::kAc3, CodecKind::kAc3},
    {fourcc::kEac3, CodecKind::kEac3},
}};

}  // namespace

std::string fourcc_to_string(FourCc f) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const auto c = static_cast<uint8_t>(f >> shift);
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      out += "\\x";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

CodecKind codec_kind_of_fourcc(FourCc f) {
  for (const auto& [code, kind] : kFourCcs)
    if (code == f) return kind;
  return CodecKind::kUnknown;
}

CodecKind codec_kind_of_legacy_video(uint8_t codec_id) {
  switch (codec_id) {
    case legacy_codec::kAvc:
      return CodecKind::kH264;
    case legacy_codec::kHevc:
      return CodecKind::kH265;
    case legacy_codec::kAv1:
      return CodecKind::kAv1;
    case legacy_codec::kSorensonH263:
    case legacy_codec::kScreen:
    case legacy_codec::kVp6:
    case legacy_codec::kVp6Alpha:
    case legacy_codec::kScreenV2:
      return CodecKind::kLegacyVideo;
    default:
      return CodecKind::kUnknown;
  }
}

CodecKind codec_kind_of_legacy_audio(uint8_t sound_format) {
  switch (sound_format) {
    case legacy_codec::kAac:
      return CodecKind::kAac;
    case legacy_codec::kMp3:
    case legacy_codec::kMp3_8k:
      return CodecKind::kMp3;
    case legacy_codec::kExHeader:
    case 12:
    case 13:
      return CodecKind::kUnknown;  // ExHeader, and the two reserved values
    default:
      return CodecKind::kLegacyAudio;
  }
}

FourCc fourcc_of(CodecKind kind) {
  for (const auto& [code, k] : kFourCcs)
    if (k == kind) return code;
  return 0;
}

bool fourcc_has_composition_time(FourCc f) {
  return f == fourcc::kAvc || f == fourcc::kHevc || f == fourcc::kVvc;
}

}  // namespace rtmp
