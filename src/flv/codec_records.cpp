#include "flv/codec_records.hpp"

#include <algorithm>
#include <array>

#include "flv/byte_cursor.hpp"

namespace rtmp {
namespace {

constexpr std::array<uint32_t, 13> kAacRates = {96000, 88200, 64000, 48000, 44100, 32000, 24000,
                                                22050, 16000, 12000, 11025, 8000,  7350};
constexpr uint8_t kFlacLastBlock = 0x80;
constexpr size_t kFlacStreamInfoSize = 34;

// MSB-first bit reader over a byte range; reads past the end fail.
class BitReader {
 public:
  explicit BitReader(ByteView in) : in_(in) {}
  bool read(unsigned n, uint32_t& v) {
    v = 0;
    for (unsigned i = 0; i < n; ++i) {
      if (pos_ >= in_.size() * 8) return false;
      v = (v << 1) | ((in_[pos_ / 8] >> (7 - pos_ % 8)) & 1u);
      ++pos_;
    }
    return true;
  }

 private:
  ByteView in_;
  size_t pos_ = 0;
};

void put_u32le_str(Bytes& out, std::string_view s) {
  put_u32le(out, static_cast<uint32_t>(s.size()));
  out.insert(out.end(), s.begin(), s.end());
}

}  // namespace

std::optional<AacConfig> parse_aac_config(ByteView asc) {
  BitReader r(asc);
  AacConfig c;
  uint32_t v = 0;
  if (!r.read(5, v)) return std::nullopt;
  if (v == 31) {
    uint32_t ext = 0;
    if (!r.read(6, ext)) return std::nullopt;
    v = 32 + ext;
  }
  c.object_type = static_cast<uint8_t>(v);
  uint32_t index = 0;
  if (!r.read(4, index)) return std::nullopt;
  if (index == 15) {
    if (!r.read(24, c.rate)) return std::nullopt;
  } else if (index < kAacRates.size()) {
    c.rate = kAacRates[index];
  }
  uint32_t config = 0;
  if (!r.read(4, config)) return std::nullopt;
  if (config >= 1 && config <= 6) c.channels = static_cast<uint8_t>(config);
  if (config == 7) c.channels = 8;
  return c;
}

std::optional<OpusHead> parse_opus_head(ByteView head) {
  static constexpr std::string_view kMagic = "OpusHead";
  if (head.size() < 19 || !std::equal(kMagic.begin(), kMagic.end(), head.begin()))
    return std::nullopt;
  if ((head[8] & 0xf0) != 0) return std::nullopt;  // major version 0 only
  OpusHead h;
  h.channels = head[9];
  h.input_rate = get_u32le(head.data() + 12);
  h.family = head[18];
  if (h.channels == 0) return std::nullopt;
  if (h.family == 0) {
    if (h.channels > 2) return std::nullopt;
    h.coupled_count = h.channels == 2 ? 1 : 0;
    return h;
  }
  if (head.size() < 21u + h.channels) return std::nullopt;
  h.stream_count = head[19];
  h.coupled_count = head[20];
  if (h.stream_count == 0 || h.coupled_count > h.stream_count) return std::nullopt;
  h.mapping.assign(head.begin() + 21, head.begin() + 21 + h.channels);
  return h;
}

std::optional<FlacHeader> parse_flac_header(ByteView header) {
  static constexpr std::string_view kMarker = "fLaC";
  if (header.size() < 4 || !std::equal(kMarker.begin(), kMarker.end(), header.begin()))
    return std::nullopt;
  ByteCursor c(header, 4);
  FlacHeader h;
  while (c.left() > 0) {
    uint8_t type = 0;
    uint32_t size = 0;
    ByteView body;
    if (!c.u8(type) || !c.u24(size) || !c.take(size, body)) return std::nullopt;
    if (h.blocks.empty() && ((type & 0x7f) != 0 || size < kFlacStreamInfoSize))
      return std::nullopt;  // STREAMINFO must come first
    Bytes block(4 + body.size());
    block[0] = static_cast<uint8_t>(type & 0x7f);
    block[1] = static_cast<uint8_t>(size >> 16);
    block[2] = static_cast<uint8_t>(size >> 8);
    block[3] = static_cast<uint8_t>(size);
    std::copy(body.begin(), body.end(), block.begin() + 4);
    h.blocks.push_back(std::move(block));
    if (type & kFlacLastBlock) break;
  }
  if (h.blocks.empty()) return std::nullopt;
  h.blocks.back()[0] |= kFlacLastBlock;
  // STREAMINFO: min/max block size (2+2), min/max frame size (3+3), then rate UB[20],
  // channels-1 UB[3], bits-1 UB[5].
  const uint8_t* si = h.blocks.front().data() + 4 + 10;
  h.rate = (uint32_t{si[0]} << 12) | (uint32_t{si[1]} << 4) | (si[2] >> 4);
  h.channels = static_cast<uint8_t>(((si[2] >> 1) & 7) + 1);
  h.bits = static_cast<uint8_t>((((si[2] & 1) << 4) | (si[3] >> 4)) + 1);
  return h;
}

std::optional<VpConfig> parse_vp_config(ByteView record) {
  // Without the FullBox header: 8 bytes and the codec initialization data (size UI16 at 6).
  size_t start = 0;
  if (record.size() >= 12 && record[0] == 1 && get_u16be(record.data() + 10) == record.size() - 12)
    start = 4;
  else if (record.size() >= 8 && get_u16be(record.data() + 6) == record.size() - 8)
    start = 0;
  else if (record.size() >= 12 && record[0] == 1)
    start = 4;
  else if (record.size() < 8)
    return std::nullopt;
  const uint8_t* p = record.data() + start;
  VpConfig c;
  c.profile = p[0];
  c.level = p[1];
  c.bit_depth = p[2] >> 4;
  c.chroma_subsampling = (p[2] >> 1) & 7;
  c.full_range = (p[2] & 1) != 0;
  c.primaries = p[3];
  c.transfer = p[4];
  c.matrix = p[5];
  return c;
}

std::optional<Av1Config> parse_av1_config(ByteView record) {
  if (record.size() < 4 || record[0] != 0x81) return std::nullopt;
  Av1Config c;
  c.profile = record[1] >> 5;
  c.level = record[1] & 0x1f;
  const uint8_t b = record[2];
  const bool high_bitdepth = (b & 0x40) != 0;
  const bool twelve_bit = (b & 0x20) != 0;
  c.bit_depth = high_bitdepth ? (twelve_bit ? 12 : 10) : 8;
  c.monochrome = (b & 0x10) != 0;
  c.subsampling_x = (b & 0x08) != 0;
  c.subsampling_y = (b & 0x04) != 0;
  return c;
}

Bytes empty_vorbis_comment(std::string_view id, std::string_view vendor) {
  Bytes out(id.begin(), id.end());
  put_u32le_str(out, vendor);
  put_u32le(out, 0);
  put_u8(out, 1);
  return out;
}

Bytes flv_speex_header() {
  static constexpr std::string_view kName = "Speex   1.1.12";
  Bytes out(28, 0);  // name (8), version (7, NUL included), padding to 28 bytes
  std::copy(kName.begin(), kName.end(), out.begin());
  // version, header size, rate, mode (wideband), mode bitstream version, channels, bitrate,
  // frame size, VBR, frames per packet, extra headers, two reserved fields.
  for (uint32_t v : {1u, 80u, 16000u, 1u, 4u, 1u, 0xffffffffu, 0x50u, 0u, 1u, 0u, 0u, 0u})
    put_u32le(out, v);
  return out;
}

}  // namespace rtmp
