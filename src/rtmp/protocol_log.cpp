#include "rtmp/protocol_log.hpp"

#include "rtmp/amf0.hpp"
#include "rtmp/commands.hpp"
#include "rtmp/control.hpp"

namespace rtmp {

namespace {

const char* verb(Direction d) {
  return d == Direction::kOut ? "sent " : "received ";
}

std::string number(double d) {
  std::string s = amf0::Value::Number(d).to_debug_string();
  return s;
}

// "name #txn" and what matters: the status of replies and onStatus, the arguments otherwise.
std::string describe_command(const Message& m) {
  std::string err;
  auto c = commands::parse_command(m.payload, &err);
  if (!c) return "malformed command (" + err + ")";
  std::string out = c->name + " #" + number(c->transaction_id);
  if (c->name == "secureTokenResponse") return out + " (answer not shown)";
  if (auto info = commands::status_info(*c); info && !info->code.empty()) {
    out += " " + info->code;
    if (!info->level.empty()) out += " (" + info->level + ")";
    if (!info->description.empty()) out += ": " + info->description;
    return out;
  }
  if (!c->command_object.is_null() && !c->command_object.is_undefined())
    out += " " + c->command_object.to_debug_string();
  for (const auto& a : c->arguments) out += " " + a.to_debug_string();
  return out;
}

std::string describe_user_control(const Message& m) {
  auto uc = control::parse_user_control(m.payload);
  if (!uc) return "user control (truncated)";
  static const char* const kNames[] = {"StreamBegin",     "StreamEOF",        "StreamDry",
                                       "SetBufferLength", "StreamIsRecorded", "event 5",
                                       "PingRequest",     "PingResponse"};
  uint16_t e = uc->event;
  std::string name = e < 8     ? kNames[e]
                     : e == 31 ? "BufferEmpty"
                     : e == 32 ? "BufferReady"
                               : "event " + std::to_string(e);
  std::string out = "user control " + name + " " + std::to_string(uc->value);
  if (e == 3) out += " buffer " + std::to_string(uc->buffer_ms) + " ms";
  return out;
}

std::string describe_control(const Message& m) {
  auto value = control::parse_u32(m.payload);
  std::string v = value ? std::to_string(*value) : "(truncated)";
  switch (static_cast<MessageType>(m.type)) {
    case MessageType::kSetChunkSize:
      return "Set Chunk Size " + v;
    case MessageType::kAbort:
      return "Abort of chunk stream " + v;
    case MessageType::kAcknowledgement:
      return "Acknowledgement " + v;
    case MessageType::kWindowAckSize:
      return "Window Acknowledgement Size " + v;
    case MessageType::kSetPeerBandwidth: {
      auto bw = control::parse_peer_bandwidth(m.payload);
      return bw ? "Set Peer Bandwidth " + std::to_string(bw->size) + " limit " +
                      std::to_string(bw->limit_type)
                : "Set Peer Bandwidth (malformed)";
    }
    default:
      return "control type " + std::to_string(m.type);
  }
}

std::string describe_media(const Message& m) {
  const char* kind = m.type == uint8_t(MessageType::kAudio)      ? "audio"
                     : m.type == uint8_t(MessageType::kVideo)    ? "video"
                     : m.type == uint8_t(MessageType::kDataAmf0) ? "data"
                                                                 : "message";
  std::string out = std::string(kind) + " " + std::to_string(m.payload.size()) + " bytes ts " +
                    std::to_string(m.timestamp) + " csid " + std::to_string(m.chunk_stream) +
                    " stream " + std::to_string(m.stream_id);
  if (m.type == uint8_t(MessageType::kDataAmf0) || m.type == uint8_t(MessageType::kAggregate))
    return out;
  if (!m.payload.empty()) {
    static const char kHex[] = "0123456789abcdef";
    out += " first byte 0x";
    out += kHex[m.payload[0] >> 4];
    out += kHex[m.payload[0] & 15];
  }
  return out;
}

}  // namespace

LogLevel log_level_of(const Message& m) {
  switch (static_cast<MessageType>(m.type)) {
    case MessageType::kCommandAmf0:
      return LogLevel::kInfo;
    case MessageType::kSetChunkSize:
    case MessageType::kAbort:
    case MessageType::kAcknowledgement:
    case MessageType::kWindowAckSize:
    case MessageType::kSetPeerBandwidth:
    case MessageType::kUserControl:
      return LogLevel::kDebug;
    default:
      return LogLevel::kLog;
  }
}

std::string describe_message(const Message& m, Direction d) {
  switch (static_cast<MessageType>(m.type)) {
    case MessageType::kCommandAmf0:
      return verb(d) + describe_command(m);
    case MessageType::kUserControl:
      return verb(d) + describe_user_control(m);
    case MessageType::kSetChunkSize:
    case MessageType::kAbort:
    case MessageType::kAcknowledgement:
    case MessageType::kWindowAckSize:
    case MessageType::kSetPeerBandwidth:
      return verb(d) + describe_control(m);
    default:
      return verb(d) + describe_media(m);
  }
}

}  // namespace rtmp
