#include "rtmp/control.hpp"

#include <utility>

namespace rtmp::control {

namespace {

Message make(MessageType type, Bytes payload) {
  Message m;
  m.type = static_cast<uint8_t>(type);
  m.timestamp = 0;
  m.stream_id = 0;
  m.chunk_stream = csid::kProtocolControl;
  m.payload = std::move(payload);
  return m;
}

Message make_u32(MessageType type, uint32_t value) {
  Bytes p;
  p.reserve(4);
  put_u32be(p, value);
  return make(type, std::move(p));
}

bool is_known_event(uint16_t ev) {
  switch (static_cast<UserControlEvent>(ev)) {
    case UserControlEvent::kStreamBegin:
    case UserControlEvent::kStreamEof:
    case UserControlEvent::kStreamDry:
    case UserControlEvent::kSetBufferLength:
    case UserControlEvent::kStreamIsRecorded:
    case UserControlEvent::kPingRequest:
    case UserControlEvent::kPingResponse:
    case UserControlEvent::kBufferEmpty:
    case UserControlEvent::kBufferReady:
      return true;
  }
  return false;
}

}  // namespace

Message set_chunk_size(uint32_t size) {
  return make_u32(MessageType::kSetChunkSize, size);
}

Message abort_message(uint32_t chunk_stream_id) {
  return make_u32(MessageType::kAbort, chunk_stream_id);
}

Message acknowledgement(uint32_t sequence_number) {
  return make_u32(MessageType::kAcknowledgement, sequence_number);
}

Message window_ack_size(uint32_t size) {
  return make_u32(MessageType::kWindowAckSize, size);
}

Message set_peer_bandwidth(uint32_t size, uint8_t limit_type) {
  Bytes p;
  p.reserve(5);
  put_u32be(p, size);
  put_u8(p, limit_type);
  return make(MessageType::kSetPeerBandwidth, std::move(p));
}

Message user_control(UserControlEvent ev, uint32_t value) {
  if (ev == UserControlEvent::kSetBufferLength) return set_buffer_length(value, 0);
  Bytes p;
  p.reserve(6);
  put_u16be(p, static_cast<uint16_t>(ev));
  put_u32be(p, value);
  return make(MessageType::kUserControl, std::move(p));
}

Message set_buffer_length(uint32_t stream_id, uint32_t buffer_ms) {
  Bytes p;
  p.reserve(10);
  put_u16be(p, static_cast<uint16_t>(UserControlEvent::kSetBufferLength));
  put_u32be(p, stream_id);
  put_u32be(p, buffer_ms);
  return make(MessageType::kUserControl, std::move(p));
}

std::optional<UserControl> parse_user_control(ByteView payload) {
  if (payload.size() < 2) return std::nullopt;
  UserControl uc;
  uc.event = get_u16be(payload.data());
  const bool known = is_known_event(uc.event);
  const bool buffer_length = uc.event == static_cast<uint16_t>(UserControlEvent::kSetBufferLength);
  const size_t needed = buffer_length ? 10 : 6;
  if (known && payload.size() < needed) return std::nullopt;
  if (payload.size() >= 6) uc.value = get_u32be(payload.data() + 2);
  if (buffer_length) uc.buffer_ms = get_u32be(payload.data() + 6);
  return uc;
}

std::optional<uint32_t> parse_u32(ByteView payload) {
  if (payload.size() < 4) return std::nullopt;
  return get_u32be(payload.data());
}

std::optional<PeerBandwidth> parse_peer_bandwidth(ByteView payload) {
  if (payload.size() < 5) return std::nullopt;
  PeerBandwidth pb;
  pb.size = get_u32be(payload.data());
  pb.limit_type = payload[4];
  if (pb.limit_type > kLimitDynamic) return std::nullopt;
  return pb;
}

std::optional<uint32_t> AckTracker::on_received(uint64_t total_received) {
  if (window_ == 0 || total_received <= last_acked_) return std::nullopt;
  if (total_received - last_acked_ < window_) return std::nullopt;
  last_acked_ = total_received;
  return static_cast<uint32_t>(total_received);
}

}  // namespace rtmp::control
