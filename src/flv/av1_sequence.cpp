#include "flv/av1_sequence.hpp"

namespace rtmp {
namespace {

constexpr uint8_t kObuSequenceHeader = 1;
constexpr uint8_t kSelectScreenContentTools = 2;
constexpr uint8_t kCpBt709 = 1;
constexpr uint8_t kTcSrgb = 13;
constexpr uint8_t kMcIdentity = 0;

// MSB-first bit reader; a read past the end sets `failed` and gives 0.
class Bits {
 public:
  explicit Bits(ByteView in) : in_(in) {}
  uint32_t f(unsigned n) {
    uint32_t v = 0;
    for (unsigned i = 0; i < n; ++i) {
      if (pos_ >= in_.size() * 8) {
        failed = true;
        return 0;
      }
      v = (v << 1) | ((in_[pos_ / 8] >> (7 - pos_ % 8)) & 1u);
      ++pos_;
    }
    return v;
  }
  bool flag() { return f(1) != 0; }
  // uvlc() (AV1 4.10.3): the value itself is not needed, only its length.
  void skip_uvlc() {
    unsigned zeros = 0;
    while (!failed && f(1) == 0) ++zeros;
    if (zeros < 32) f(zeros);
  }
  bool failed = false;

 private:
  ByteView in_;
  size_t pos_ = 0;
};

// leb128() (AV1 4.10.5): at most 8 bytes, value below 2^32.
bool read_leb128(ByteView in, size_t& pos, uint64_t& value) {
  value = 0;
  for (unsigned i = 0; i < 8; ++i) {
    if (pos >= in.size()) return false;
    const uint8_t b = in[pos++];
    value |= uint64_t{b & 0x7fu} << (7 * i);
    if ((b & 0x80) == 0) return value <= 0xffffffffu;
  }
  return false;
}

void put_leb128(Bytes& out, uint64_t v) {
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    out.push_back(b);
  } while (v);
}

// timing_info(), decoder_model_info() and the operating points: only seq_level_idx[0] and
// seq_tier[0] are kept.
void read_operating_points(Bits& b, Av1SequenceInfo& s) {
  bool decoder_model_info = false;
  unsigned buffer_delay_bits = 0;
  if (b.flag()) {                 // timing_info_present_flag
    b.f(32);                      // num_units_in_display_tick
    b.f(32);                      // time_scale
    if (b.flag()) b.skip_uvlc();  // equal_picture_interval: num_ticks_per_picture_minus_1
    decoder_model_info = b.flag();
    if (decoder_model_info) {
      buffer_delay_bits = b.f(5) + 1;
      b.f(32);  // num_units_in_decoding_tick
      b.f(5);   // buffer_removal_time_length_minus_1
      b.f(5);   // frame_presentation_time_length_minus_1
    }
  }
  const bool initial_display_delay = b.flag();
  const unsigned count = b.f(5) + 1;
  for (unsigned i = 0; i < count && !b.failed; ++i) {
    b.f(12);  // operating_point_idc
    const auto level = static_cast<uint8_t>(b.f(5));
    const auto tier = static_cast<uint8_t>(level > 7 ? b.f(1) : 0);
    if (i == 0) {
      s.level = level;
      s.tier = tier;
    }
    if (decoder_model_info && b.flag()) {  // decoder_model_present_for_this_op
      b.f(buffer_delay_bits);              // decoder_buffer_delay
      b.f(buffer_delay_bits);              // encoder_buffer_delay
      b.f(1);                              // low_delay_mode_flag
    }
    if (initial_display_delay && b.flag()) b.f(4);
  }
}

// From frame_id_numbers_present_flag to enable_restoration (reduced_still_picture_header 0).
void read_coding_tools(Bits& b) {
  if (b.flag()) b.f(7);  // frame_id_numbers_present_flag: delta and additional lengths
  b.f(3);                // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  b.f(4);                // interintra_compound, masked_compound, warped_motion, dual_filter
  const bool order_hint = b.flag();
  if (order_hint) b.f(2);  // enable_jnt_comp, enable_ref_frame_mvs
  uint32_t screen_content = kSelectScreenContentTools;
  if (!b.flag()) screen_content = b.f(1);       // seq_choose_screen_content_tools
  if (screen_content > 0 && !b.flag()) b.f(1);  // seq_choose_integer_mv, seq_force_integer_mv
  if (order_hint) b.f(3);                       // order_hint_bits_minus_1
}

// color_config() (AV1 5.5.2), up to chroma_sample_position.
void read_color_config(Bits& b, Av1SequenceInfo& s) {
  s.high_bitdepth = b.flag();
  if (s.profile == 2 && s.high_bitdepth) s.twelve_bit = b.flag();
  s.monochrome = s.profile == 1 ? false : b.flag();
  uint32_t cp = 2, tc = 2, mc = 2;  // unspecified
  if (b.flag()) {
    cp = b.f(8);
    tc = b.f(8);
    mc = b.f(8);
  }
  if (s.monochrome) {
    b.f(1);  // color_range
    s.subsampling_x = s.subsampling_y = true;
    return;
  }
  if (cp == kCpBt709 && tc == kTcSrgb && mc == kMcIdentity) {
    s.subsampling_x = s.subsampling_y = false;
    return;
  }
  b.f(1);  // color_range
  if (s.profile == 0) {
    s.subsampling_x = s.subsampling_y = true;
  } else if (s.profile == 1) {
    s.subsampling_x = s.subsampling_y = false;
  } else if (s.twelve_bit) {
    s.subsampling_x = b.flag();
    s.subsampling_y = s.subsampling_x ? b.flag() : false;
  } else {
    s.subsampling_x = true;
    s.subsampling_y = false;
  }
  if (s.subsampling_x && s.subsampling_y) s.chroma_sample_position = static_cast<uint8_t>(b.f(2));
}

}  // namespace

std::optional<Av1SequenceInfo> parse_av1_sequence_header(ByteView payload) {
  Bits b(payload);
  Av1SequenceInfo s;
  s.profile = static_cast<uint8_t>(b.f(3));
  b.f(1);  // still_picture
  const bool reduced = b.flag();
  if (reduced)
    s.level = static_cast<uint8_t>(b.f(5));
  else
    read_operating_points(b, s);
  const unsigned width_bits = b.f(4) + 1;
  const unsigned height_bits = b.f(4) + 1;
  s.max_width = b.f(width_bits) + 1;
  s.max_height = b.f(height_bits) + 1;
  if (reduced)
    b.f(3);  // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  else
    read_coding_tools(b);
  b.f(3);  // enable_superres, enable_cdef, enable_restoration
  read_color_config(b, s);
  if (b.failed || s.profile > 2) return std::nullopt;
  return s;
}

std::optional<Bytes> find_av1_sequence_header_obu(ByteView tu) {
  size_t pos = 0;
  while (pos < tu.size()) {
    const uint8_t header = tu[pos];
    if (header & 0x80) return std::nullopt;  // obu_forbidden_bit
    const uint8_t type = (header >> 3) & 0x0f;
    const bool extension = (header & 0x04) != 0;
    const bool has_size = (header & 0x02) != 0;
    const size_t header_size = extension ? 2 : 1;
    if (tu.size() - pos < header_size) return std::nullopt;
    size_t at = pos + header_size;
    uint64_t size = tu.size() - at;
    if (has_size && !read_leb128(tu, at, size)) return std::nullopt;
    if (size > tu.size() - at) return std::nullopt;
    if (type == kObuSequenceHeader) {
      Bytes obu(tu.begin() + static_cast<ptrdiff_t>(pos),
                tu.begin() + static_cast<ptrdiff_t>(pos + header_size));
      obu[0] |= 0x02;  // obu_has_size_field
      put_leb128(obu, size);
      obu.insert(obu.end(), tu.begin() + static_cast<ptrdiff_t>(at),
                 tu.begin() + static_cast<ptrdiff_t>(at + size));
      return obu;
    }
    pos = at + static_cast<size_t>(size);
  }
  return std::nullopt;
}

std::optional<Bytes> av1_config_from_temporal_unit(ByteView tu) {
  std::optional<Bytes> obu = find_av1_sequence_header_obu(tu);
  if (!obu) return std::nullopt;
  // The payload follows the header byte(s) and the leb128 size written above.
  size_t at = ((*obu)[0] & 0x04) ? 2 : 1;
  uint64_t size = 0;
  read_leb128(*obu, at, size);
  std::optional<Av1SequenceInfo> s = parse_av1_sequence_header(ByteView(*obu).subspan(at));
  if (!s) return std::nullopt;
  Bytes out;
  put_u8(out, 0x81);  // marker, version 1
  put_u8(out, static_cast<uint8_t>(s->profile << 5 | (s->level & 0x1f)));
  put_u8(out, static_cast<uint8_t>(s->tier << 7 | s->high_bitdepth << 6 | s->twelve_bit << 5 |
                                   s->monochrome << 4 | s->subsampling_x << 3 |
                                   s->subsampling_y << 2 | (s->chroma_sample_position & 3)));
  put_u8(out, 0);  // no initial_presentation_delay
  put_bytes(out, *obu);
  return out;
}

}  // namespace rtmp
