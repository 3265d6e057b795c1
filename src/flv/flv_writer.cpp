#include "flv/flv_writer.hpp"

#include <cassert>
#include <iterator>

namespace rtmp {

void write_flv_header(bool has_audio, bool has_video, Bytes& out) {
  out.insert(out.end(), std::begin(kFlvSignature), std::end(kFlvSignature));
  put_u8(out, 1);
  put_u8(out,
         static_cast<uint8_t>((has_audio ? kFlvFlagAudio : 0) | (has_video ? kFlvFlagVideo : 0)));
  put_u32be(out, static_cast<uint32_t>(kFlvHeaderSize));
  put_u32be(out, 0);
}

void write_flv_tag(uint8_t type, uint32_t timestamp, ByteView data, Bytes& out) {
  assert(data.size() <= kFlvMaxTagSize);
  const auto size = static_cast<uint32_t>(data.size() & kFlvMaxTagSize);
  put_u8(out, type);
  put_u24be(out, size);
  put_u24be(out, timestamp & 0xFFFFFF);
  put_u8(out, static_cast<uint8_t>(timestamp >> 24));
  put_u24be(out, 0);
  out.insert(out.end(), data.begin(), data.begin() + size);
  put_u32be(out, static_cast<uint32_t>(kFlvTagHeaderSize) + size);
}

}  // namespace rtmp
