// Facts of the FLV container shared by its reader and writer.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rtmp {

inline constexpr size_t kFlvHeaderSize = 9;
inline constexpr size_t kFlvTagHeaderSize = 11;
inline constexpr uint8_t kFlvTagAudio = 8;
inline constexpr uint8_t kFlvTagVideo = 9;
inline constexpr uint8_t kFlvTagScript = 18;
inline constexpr uint8_t kFlvSignature[3] = {'F', 'L', 'V'};
inline constexpr uint8_t kFlvFlagAudio = 0x04;
inline constexpr uint8_t kFlvFlagVideo = 0x01;
inline constexpr uint32_t kFlvMaxTagSize = 0xFFFFFF;  // the 24-bit size field

}  // namespace rtmp
