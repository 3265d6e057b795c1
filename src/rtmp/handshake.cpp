#include "rtmp/handshake.hpp"

#include "rtmp/handshake_digest.hpp"

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

// Whether a C2/S2 echoes our C1/S1: bytes 8.. equal (the time fields may differ).
bool echoes(const Bytes& packet, const Bytes& own) {
  return packet.size() == own.size() &&
         std::equal(packet.begin() + 8, packet.end(), own.begin() + 8);
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

HandshakeInput::Step HandshakeInput::feed(ByteView in, size_t* pos, const char* peer) {
  while (*pos < in.size()) {
    switch (phase_) {
      case Phase::kVersion:
        if (in[*pos] != kRtmpVersion) {
          error_ = describe_bad_version(in[*pos], peer);
          phase_ = Phase::kError;
          ++*pos;
          return Step::kError;
        }
        ++*pos;
        phase_ = Phase::kFirst;
        first_.reserve(kHandshakeSize);
        break;
      case Phase::kFirst:
        if (collect(in, pos, first_, kHandshakeSize)) {
          phase_ = Phase::kSecond;
          second_.reserve(kHandshakeSize);
          return Step::kFirstPacket;
        }
        break;
      case Phase::kSecond:
        if (collect(in, pos, second_, kHandshakeSize)) {
          phase_ = Phase::kDone;
          return Step::kDone;
        }
        break;
      case Phase::kDone:
        return Step::kDone;
      case Phase::kError:
        return Step::kError;
    }
  }
  if (phase_ == Phase::kDone) return Step::kDone;
  return phase_ == Phase::kError ? Step::kError : Step::kNeedMore;
}

ClientHandshake::ClientHandshake(ByteView random, uint32_t epoch, bool digest, int scheme)
    : scheme_(scheme == 1 ? 1 : 0),
      digest_(digest),
      c1_(digest ? make_client_c1(random, epoch, scheme_) : make_plain_packet(epoch, random)) {}

void ClientHandshake::start(Bytes& out) {
  put_u8(out, kRtmpVersion);
  put_bytes(out, c1_);
}

ClientHandshake::Status ClientHandshake::feed(ByteView in, size_t* consumed, Bytes& out,
                                              uint32_t now_ms) {
  size_t pos = 0;
  for (;;) {
    const bool was_done = input_.done();
    const HandshakeInput::Step step = input_.feed(in, &pos, "server");
    if (step == HandshakeInput::Step::kFirstPacket) {
      const Bytes& s1 = input_.first();
      if (digest_) server_scheme_ = find_server_digest(s1);
      if (server_scheme_)
        put_bytes(out, make_client_c2(s1, *server_scheme_, now_ms));
      else
        put_echo(out, s1, now_ms);  // plain handshake, or an old server
      continue;
    }
    if (step == HandshakeInput::Step::kDone && !was_done) {
      const Bytes& s2 = input_.second();
      s2_digest_valid_ = server_scheme_.has_value() && verify_server_s2(s2, c1_, scheme_);
      s2_echoes_c1_ = echoes(s2, c1_);
    }
    if (consumed != nullptr) *consumed = pos;
    if (step == HandshakeInput::Step::kDone) return Status::kDone;
    return step == HandshakeInput::Step::kError ? Status::kError : Status::kNeedMore;
  }
}

ServerHandshake::ServerHandshake(ByteView random, uint32_t epoch, bool digest)
    : epoch_(epoch),
      digest_(digest),
      random_(random.begin(), random.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                   random.size(), kHandshakeRandomSize))) {}

ServerHandshake::Status ServerHandshake::feed(ByteView in, size_t* consumed, Bytes& out) {
  size_t pos = 0;
  for (;;) {
    const bool was_done = input_.done();
    const HandshakeInput::Step step = input_.feed(in, &pos, "client");
    if (step == HandshakeInput::Step::kFirstPacket) {
      const Bytes& c1 = input_.first();
      if (digest_) client_scheme_ = find_client_digest(c1);
      s1_scheme_ = client_scheme_.value_or(0);
      s1_ = digest_ ? make_server_s1(random_, epoch_, s1_scheme_)
                    : make_plain_packet(epoch_, random_);
      put_u8(out, kRtmpVersion);
      put_bytes(out, s1_);
      if (client_scheme_)
        put_bytes(out, make_server_s2(c1, *client_scheme_, epoch_));
      else
        put_echo(out, c1, epoch_);  // plain server, or a plain client
      continue;
    }
    if (step == HandshakeInput::Step::kDone && !was_done) {
      const Bytes& c2 = input_.second();
      c2_digest_valid_ = client_scheme_.has_value() && verify_client_c2(c2, s1_, s1_scheme_);
      c2_echoes_s1_ = echoes(c2, s1_);
    }
    if (consumed != nullptr) *consumed = pos;
    if (step == HandshakeInput::Step::kDone) return Status::kDone;
    return step == HandshakeInput::Step::kError ? Status::kError : Status::kNeedMore;
  }
}

}  // namespace rtmp
