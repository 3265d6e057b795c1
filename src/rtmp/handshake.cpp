#include "rtmp/handshake.hpp"

#include <algorithm>
#include <cstdio>

namespace rtmp {
namespace {

// Appends the echo (C2/S2) of a peer's C1/S1 packet: its time, time2, its random part.
void put_echo(Bytes& out, const Bytes& peer_packet, uint32_t time2) {
  out.insert(out.end(), peer_packet.begin(), peer_packet.begin() + 4);
  put_u32be(out, time2);
  out.insert(out.end(), peer_packet.begin() + 8, peer_packet.end());
}

// Copies up to `want` bytes from in[*pos...] into `dst`; returns true when dst reached `want`.
bool collect(ByteView in, size_t* pos, Bytes& dst, size_t want) {
  const size_t take = std::min(want - dst.size(), in.size() - *pos);
  dst.insert(dst.end(), in.begin() + static_cast<std::ptrdiff_t>(*pos),
             in.begin() + static_cast<std::ptrdiff_t>(*pos + take));
  *pos += take;
  return dst.size() == want;
}

// Consumes up to the rest of an echo packet (C2/S2) whose bytes received so far are `*received`,
// clearing *echoes if its random part differs from `own` (our C1/S1). Returns true when complete.
bool check_echo(ByteView in, size_t* pos, size_t* received, const Bytes& own, bool* echoes) {
  const size_t take = std::min(kHandshakeSize - *received, in.size() - *pos);
  for (size_t i = 0; i < take; ++i) {
    // Per byte on purpose: the handshake is 1.5 KB once per connection, and this keeps it simple.
    const size_t index = *received + i;
    if (index >= 8 && in[*pos + i] != own[index]) *echoes = false;
  }
  *pos += take;
  *received += take;
  return *received == kHandshakeSize;
}

}  // namespace

// Builds a C1/S1 packet: time, 4 zero bytes, 1528 random bytes (zero-padded if `random` is short).
Bytes make_plain_packet(uint32_t time, ByteView random) {
  Bytes packet;
  packet.reserve(kHandshakeSize);
  put_u32be(packet, time);
  put_u32be(packet, 0);
  put_bytes(packet, random.first(std::min(random.size(), kHandshakeRandomSize)));
  packet.resize(kHandshakeSize, 0);
  return packet;
}

std::string describe_bad_version(uint8_t version, const char* peer) {
  char hex[8];
  std::snprintf(hex, sizeof hex, "0x%02X", static_cast<unsigned>(version));
  std::string text = std::string(peer) + " sent RTMP version " + hex;
  if (version >= 0x20 && version < 0x7F) {
    text += " ('";
    text += static_cast<char>(version);
    text += "')";
  }
  text += ", expected 3";
  if (version >= 0x20 && version < 0x7F) {
    text += std::string(" \u2014 is this an HTTP ") + peer + "?";
  } else if (version == 0x16) {
    text += " \u2014 this looks like a TLS handshake; use rtmps://";
  } else if (version == 6 || version == 8 || version == 9) {
    text += " \u2014 encrypted RTMP (RTMPE) is not supported";
  }
  return text;
}

ClientHandshake::ClientHandshake(ByteView random, uint32_t epoch)
    : c1_(make_plain_packet(epoch, random)) {
  s1_.reserve(kHandshakeSize);
}

void ClientHandshake::start(Bytes& out) {
  put_u8(out, kRtmpVersion);
  put_bytes(out, c1_);
}

ClientHandshake::Status ClientHandshake::feed(ByteView in, size_t* consumed, Bytes& out,
                                              uint32_t now_ms) {
  size_t pos = 0;
  while (pos < in.size() && phase_ != Phase::kDone && phase_ != Phase::kError) {
    switch (phase_) {
      case Phase::kS0:
        if (in[pos] != kRtmpVersion) {
          error_ = describe_bad_version(in[pos], "server");
          phase_ = Phase::kError;
        } else {
          phase_ = Phase::kS1;
        }
        ++pos;
        break;
      case Phase::kS1:
        if (collect(in, &pos, s1_, kHandshakeSize)) {
          put_echo(out, s1_, now_ms);
          phase_ = Phase::kS2;
        }
        break;
      case Phase::kS2:
        if (check_echo(in, &pos, &s2_received_, c1_, &s2_echoes_c1_)) phase_ = Phase::kDone;
        break;
      case Phase::kDone:
      case Phase::kError:
        break;
    }
  }
  if (consumed != nullptr) *consumed = pos;
  if (phase_ == Phase::kDone) return Status::kDone;
  if (phase_ == Phase::kError) return Status::kError;
  return Status::kNeedMore;
}

ServerHandshake::ServerHandshake(ByteView random, uint32_t epoch)
    : epoch_(epoch), s1_(make_plain_packet(epoch, random)) {
  c1_.reserve(kHandshakeSize);
}

ServerHandshake::Status ServerHandshake::feed(ByteView in, size_t* consumed, Bytes& out) {
  size_t pos = 0;
  while (pos < in.size() && phase_ != Phase::kDone && phase_ != Phase::kError) {
    switch (phase_) {
      case Phase::kC0:
        if (in[pos] != kRtmpVersion) {
          error_ = describe_bad_version(in[pos], "client");
          phase_ = Phase::kError;
        } else {
          phase_ = Phase::kC1;
        }
        ++pos;
        break;
      case Phase::kC1:
        if (collect(in, &pos, c1_, kHandshakeSize)) {
          put_u8(out, kRtmpVersion);
          put_bytes(out, s1_);
          put_echo(out, c1_, epoch_);
          phase_ = Phase::kC2;
        }
        break;
      case Phase::kC2:
        if (check_echo(in, &pos, &c2_received_, s1_, &c2_echoes_s1_)) phase_ = Phase::kDone;
        break;
      case Phase::kDone:
      case Phase::kError:
        break;
    }
  }
  if (consumed != nullptr) *consumed = pos;
  if (phase_ == Phase::kDone) return Status::kDone;
  if (phase_ == Phase::kError) return Status::kError;
  return Status::kNeedMore;
}

}  // namespace rtmp
