// A bounds-checked reader over one complete byte range: every read either succeeds or leaves the
// cursor where it was and returns false.
#pragma once

#include <cstddef>
#include <cstdint>

#include "util/bytes.hpp"

namespace rtmp {

class ByteCursor {
 public:
  explicit ByteCursor(ByteView in, size_t pos = 0) : in_(in), pos_(pos <= in.size() ? pos : 0) {}

  size_t pos() const { return pos_; }
  size_t left() const { return in_.size() - pos_; }

  bool u8(uint8_t& v) {
    if (left() < 1) return false;
    v = in_[pos_++];
    return true;
  }
  bool u16(uint16_t& v) {
    if (left() < 2) return false;
    v = get_u16be(in_.data() + pos_);
    pos_ += 2;
    return true;
  }
  bool u24(uint32_t& v) {
    if (left() < 3) return false;
    v = get_u24be(in_.data() + pos_);
    pos_ += 3;
    return true;
  }
  bool u32(uint32_t& v) {
    if (left() < 4) return false;
    v = get_u32be(in_.data() + pos_);
    pos_ += 4;
    return true;
  }
  // SI24, sign-extended.
  bool s24(int32_t& v) {
    uint32_t u = 0;
    if (!u24(u)) return false;
    v = static_cast<int32_t>(u ^ 0x800000u) - 0x800000;
    return true;
  }
  bool take(size_t n, ByteView& v) {
    if (left() < n) return false;
    v = in_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool skip(size_t n) {
    if (left() < n) return false;
    pos_ += n;
    return true;
  }
  ByteView rest() {
    ByteView v = in_.subspan(pos_);
    pos_ = in_.size();
    return v;
  }

 private:
  ByteView in_;
  size_t pos_ = 0;
};

}  // namespace rtmp
