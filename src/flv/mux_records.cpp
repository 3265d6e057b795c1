#include "flv/mux_records.hpp"

#include <algorithm>
#include <array>
#include <string_view>

namespace rtmp {
namespace {

struct Vp9Level {
  uint8_t level;
  uint64_t max_picture_size;
  uint64_t max_sample_rate;
};

// VP9 bitstream specification, Annex A.
constexpr std::array<Vp9Level, 14> kVp9Levels = {{
    {10, 36864, 829440},
    {11, 73728, 2764800},
    {20, 122880, 4608000},
    {21, 245760, 9216000},
    {30, 552960, 20736000},
    {31, 983040, 36864000},
    {40, 2228224, 83558400},
    {41, 2228224, 160432128},
    {50, 8912896, 311951360},
    {51, 8912896, 588251136},
    {52, 8912896, 1176502272},
    {60, 35651584, 1176502272},
    {61, 35651584, 2353004544},
    {62, 35651584, 4706009088},
}};

constexpr std::string_view kFlacMarker = "fLaC";
constexpr std::string_view kOggFlacPrefix =
    "\x7f"
    "FLAC";
constexpr size_t kOggFlacHeader = 9;  // 0x7F "FLAC", major, minor, header count (UI16)
constexpr size_t kStreamInfoSize = 34;
constexpr uint8_t kLastBlock = 0x80;

bool starts_with(ByteView v, std::string_view s) {
  return v.size() >= s.size() && std::equal(s.begin(), s.end(), v.begin());
}

}  // namespace

Bytes write_vp_config(const VpConfig& c) {
  Bytes out;
  put_u32be(out, 1u << 24);  // version 1, flags 0
  put_u8(out, c.profile);
  put_u8(out, c.level);
  put_u8(out, static_cast<uint8_t>((c.bit_depth & 0x0f) << 4 | (c.chroma_subsampling & 7) << 1 |
                                   (c.full_range ? 1 : 0)));
  put_u8(out, c.primaries);
  put_u8(out, c.transfer);
  put_u8(out, c.matrix);
  put_u16be(out, 0);  // codecInitializationDataSize
  return out;
}

uint8_t vp9_level(uint32_t width, uint32_t height, double framerate) {
  if (width == 0 || height == 0) return 0;
  const uint64_t size = uint64_t{width} * height;
  const double rate = framerate > 0 ? static_cast<double>(size) * framerate : 0;
  for (const Vp9Level& l : kVp9Levels) {
    if (size <= l.max_picture_size && rate <= static_cast<double>(l.max_sample_rate))
      return l.level;
  }
  return 0;
}

std::optional<Bytes> make_opus_head(const OpusParams& p) {
  if (p.channels == 0) return std::nullopt;
  if (p.family == 0 && p.channels > 2) return std::nullopt;
  if (p.family != 0 && (p.mapping.size() != p.channels || p.stream_count == 0 ||
                        p.coupled_count > p.stream_count || p.stream_count + p.coupled_count > 255))
    return std::nullopt;
  Bytes out = {'O', 'p', 'u', 's', 'H', 'e', 'a', 'd', 1, p.channels};
  out.push_back(0);  // pre-skip (UI16 LE)
  out.push_back(0);
  put_u32le(out, p.rate);
  out.push_back(0);  // output gain (SI16 LE)
  out.push_back(0);
  out.push_back(p.family);
  if (p.family != 0) {
    out.push_back(p.stream_count);
    out.push_back(p.coupled_count);
    put_bytes(out, p.mapping);
  }
  return out;
}

std::optional<Bytes> flac_sequence_start(const std::vector<ByteView>& headers) {
  Bytes joined;
  for (ByteView h : headers) {
    if (starts_with(h, kOggFlacPrefix)) {
      if (h.size() < kOggFlacHeader) return std::nullopt;
      h = h.subspan(kOggFlacHeader);
    }
    put_bytes(joined, h);
  }
  ByteView all(joined);
  if (!starts_with(all, kFlacMarker)) return std::nullopt;
  // The first block after the marker: type 0 (STREAMINFO), 34 bytes.
  ByteView block = all.subspan(kFlacMarker.size());
  if (block.size() < 4 + kStreamInfoSize || (block[0] & 0x7f) != 0 ||
      get_u24be(block.data() + 1) != kStreamInfoSize)
    return std::nullopt;
  Bytes out(kFlacMarker.begin(), kFlacMarker.end());
  put_u8(out, kLastBlock);
  put_u24be(out, kStreamInfoSize);
  out.insert(out.end(), block.begin() + 4, block.begin() + 4 + kStreamInfoSize);
  return out;
}

}  // namespace rtmp
