#include "rtmp/client_connection.hpp"

#include <algorithm>
#include <utility>

#include "rtmp/aggregate.hpp"

namespace rtmp {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string describe(const commands::StatusInfo& s) {
  if (s.description.empty()) return s.code;
  return s.code + ": " + s.description;
}

}  // namespace

const char* phase_name(ClientPhase phase) {
  switch (phase) {
    case ClientPhase::kIdle:
      return "idle";
    case ClientPhase::kHandshaking:
      return "handshaking";
    case ClientPhase::kConnectingApp:
      return "connecting-app";
    case ClientPhase::kCreatingStream:
      return "creating-stream";
    case ClientPhase::kStartingStream:
      return "starting-stream";
    case ClientPhase::kStreaming:
      return "streaming";
    case ClientPhase::kClosing:
      return "closing";
    case ClientPhase::kFailed:
      return "failed";
  }
  return "unknown";
}

ClientConnection::ClientConnection(ClientConfig config, ByteView random, uint32_t epoch)
    : config_(std::move(config)),
      handshake_(random, epoch, config_.handshake != HandshakeMode::kPlain),
      reader_(config_.limits) {}

ClientConnection::~ClientConnection() = default;

void ClientConnection::start() {
  if (phase_ != ClientPhase::kIdle) return;
  handshake_out_.clear();
  handshake_.start(handshake_out_);
  out_.append_copy(handshake_out_);
  set_phase(ClientPhase::kHandshaking);
}

void ClientConnection::consume_output(size_t n) {
  n = std::min(n, out_.size());
  out_.consume(n);
  counters_.bytes_out += n;
  log_lazily(logger_, LogLevel::kTrace, [&] {
    return "sent " + std::to_string(n) + " bytes, " + std::to_string(out_.size()) + " pending";
  });
}

void ClientConnection::set_phase(ClientPhase phase) {
  if (phase_ == phase) return;
  phase_ = phase;
  ClientEvent ev;
  ev.kind = ClientEvent::Kind::kPhaseChanged;
  ev.phase = phase;
  events_.push_back(std::move(ev));
}

void ClientConnection::fail(ErrorKind kind, std::string message, std::string code) {
  if (phase_ == ClientPhase::kFailed) return;
  log_lazily(logger_, LogLevel::kDebug, [&] { return "protocol failure: " + message; });
  error_ = ClientError{kind, std::move(message), std::move(code)};
  set_phase(ClientPhase::kFailed);
  emit(ClientEvent::Kind::kError);
}

void ClientConnection::emit(ClientEvent::Kind kind, commands::StatusInfo status, Message message) {
  ClientEvent ev;
  ev.kind = kind;
  ev.phase = phase_;
  ev.status = std::move(status);
  ev.message = std::move(message);
  events_.push_back(std::move(ev));
}

bool ClientConnection::next_event(ClientEvent* event) {
  if (events_.empty()) return false;
  *event = std::move(events_.front());
  events_.pop_front();
  return true;
}

void ClientConnection::send(const Message& m) {
  if (!writer_.write(m, out_)) {
    fail(ErrorKind::kProtocol, "cannot send a message of " + std::to_string(m.payload.size()) +
                                   " bytes on chunk stream " + std::to_string(m.chunk_stream));
    return;
  }
  counters_.messages_out++;
  log_message(logger_, m, Direction::kOut);
}

void ClientConnection::receive(ByteView data, uint32_t now_ms) {
  if (phase_ == ClientPhase::kFailed || phase_ == ClientPhase::kIdle) return;
  counters_.bytes_in += data.size();
  log_lazily(logger_, LogLevel::kTrace, [&] {
    return "received " + std::to_string(data.size()) + " bytes (incoming chunk size " +
           std::to_string(reader_.chunk_size()) + ")";
  });
  if (phase_ == ClientPhase::kHandshaking) {
    size_t used = 0;
    handshake_out_.clear();
    auto st = handshake_.feed(data, &used, handshake_out_, now_ms);
    out_.append_copy(handshake_out_);
    if (st == ClientHandshake::Status::kError) {
      fail(ErrorKind::kHandshake, "RTMP handshake failed: " + handshake_.error());
      return;
    }
    if (st == ClientHandshake::Status::kDone && config_.handshake == HandshakeMode::kDigest &&
        !handshake_.server_digest_valid()) {
      fail(ErrorKind::kHandshake,
           "RTMP handshake failed: the server's answer carries no valid digest (handshake=digest)");
      return;
    }
    if (st == ClientHandshake::Status::kNeedMore) return;
    log_lazily(logger_, LogLevel::kDebug, [&] {
      return std::string("handshake done: ") +
             (handshake_.server_digest_valid() ? "the server's digest is valid" : "plain");
    });
    data = data.subspan(used);
    handshake_.release_buffers();  // the packets are not needed any more
    Bytes().swap(handshake_out_);
    on_handshake_done();
  }
  incoming_.clear();
  bool malformed = reader_.feed(data, incoming_) == ChunkReader::Status::kError;
  counters_.in_chunk_size = reader_.chunk_size();
  // Messages completed before a fault are handled first, in order.
  for (auto& m : incoming_) {
    if (phase_ == ClientPhase::kFailed) return;
    counters_.messages_in++;
    log_message(logger_, m, Direction::kIn);
    on_message(std::move(m));
  }
  if (malformed) {
    fail(ErrorKind::kProtocol, "malformed data from server: " + reader_.error());
    return;
  }
  acknowledge_if_due();
}

void ClientConnection::acknowledge_if_due() {
  if (phase_ == ClientPhase::kFailed) return;
  // Handshake bytes count towards the acknowledgement window as well (as in FFmpeg and rtmp2).
  if (auto seq = acks_.on_received(counters_.bytes_in)) {
    send(control::acknowledgement(*seq));
    counters_.bytes_acked_to_peer = *seq;
  }
}

void ClientConnection::on_handshake_done() {
  set_phase(ClientPhase::kConnectingApp);
  if (config_.chunk_size != writer_.chunk_size() &&
      !writer_.set_chunk_size(config_.chunk_size, out_)) {
    fail(ErrorKind::kBadLocation,
         "chunk size " + std::to_string(config_.chunk_size) + " is out of range 1-2147483647");
    return;
  }
  counters_.out_chunk_size = writer_.chunk_size();
  log_lazily(logger_, LogLevel::kDebug,
             [&] { return "sent Set Chunk Size " + std::to_string(writer_.chunk_size()); });
  if (config_.mode == ClientMode::kPlay) {
    send(control::window_ack_size(config_.window_ack_size));
    counters_.out_window_ack_size = config_.window_ack_size;
  }

  commands::ConnectParams p = config_.connect;
  if (config_.announce_enhanced) {
    auto fields = announcement(client_capabilities(config_.mode == ClientMode::kPublish));
    p.extra.insert(p.extra.begin(), fields.begin(), fields.end());  // the user's win
  }
  p.app += config_.auth_query;
  if (!p.tc_url.empty()) p.tc_url += config_.auth_query;
  p.publish = config_.mode == ClientMode::kPublish;
  send(commands::connect(p, transactions_.begin("connect")));

  // Pipelined with connect: the server answers them in order once connect has succeeded, which
  // saves a round trip. A rejected connect is reported before any of these replies. With a
  // SecureToken key they wait for connect's _result (the token response goes first).
  if (config_.secure_token.empty()) send_stream_requests();
}

void ClientConnection::send_stream_requests() {
  if (config_.mode == ClientMode::kPublish) {
    send(commands::release_stream(config_.stream, transactions_.begin("releaseStream")));
    send(commands::fc_publish(config_.stream, transactions_.begin("FCPublish")));
  }
  send(commands::create_stream(transactions_.begin("createStream")));
  if (config_.mode == ClientMode::kPlay && !config_.subscribe.empty())
    send(commands::call("FCSubscribe", transactions_.begin("FCSubscribe"), amf0::Value::Null(),
                        {amf0::Value::String(config_.subscribe)}));
}

namespace {

// librtmp looks for the first "secureToken" string anywhere in connect's _result.
const amf0::Value* find_secure_token(const amf0::Value& v, int depth) {
  if (!v.is_object() || depth > 4) return nullptr;
  for (const auto& [key, value] : v.properties()) {
    if (key == "secureToken" && value.is_string()) return &value;
    if (const amf0::Value* inner = find_secure_token(value, depth + 1)) return inner;
  }
  return nullptr;
}

}  // namespace

// SecureToken: decrypt the server's token with the shared key and send it back. True to go on.
bool ClientConnection::answer_secure_token(const commands::Command& c) {
  const amf0::Value* token = find_secure_token(c.command_object, 0);
  for (size_t i = 0; !token && i < c.arguments.size(); i++)
    token = find_secure_token(c.arguments[i], 0);
  if (token == nullptr) return true;  // the server did not ask
  auto answer = auth::decode_secure_token(config_.secure_token, token->string());
  if (!answer) {
    fail(ErrorKind::kAuthFailed, "malformed SecureToken challenge (not whole 32-bit words of hex)");
    return false;
  }
  send(commands::call("secureTokenResponse", 0, amf0::Value::Null(),
                      {amf0::Value::String(std::move(*answer))}));
  return true;
}

void ClientConnection::on_message(Message&& m) {
  switch (static_cast<MessageType>(m.type)) {
    case MessageType::kSetChunkSize:
    case MessageType::kAbort:
    case MessageType::kAcknowledgement:
    case MessageType::kWindowAckSize:
    case MessageType::kSetPeerBandwidth:
      on_control(m);
      return;
    case MessageType::kUserControl:
      on_user_control(m);
      return;
    case MessageType::kCommandAmf0:
      on_command(m);
      return;
    case MessageType::kAudio:
    case MessageType::kVideo:
    case MessageType::kDataAmf0:
    case MessageType::kAggregate:
      // Some servers (FFmpeg's listen mode) send the played stream on message stream 0.
      if (config_.mode == ClientMode::kPlay && stream_created_ &&
          (m.stream_id == stream_id_ || m.stream_id == 0))
        on_media(std::move(m));
      return;
    default:
      return;  // AMF3 commands, shared objects: not used by this client
  }
}

void ClientConnection::on_media(Message&& m) {
  if (m.type == uint8_t(MessageType::kAggregate)) {
    std::vector<Message> parts;
    std::string err;
    bool ok = split_aggregate(m, parts, &err);
    for (auto& part : parts) on_media(std::move(part));
    if (!ok) fail(ErrorKind::kProtocol, "malformed aggregate message: " + err);
    return;
  }
  if (m.type == uint8_t(MessageType::kDataAmf0)) {
    on_play_data(std::move(m));
    return;
  }
  if (m.type == uint8_t(MessageType::kAudio) || m.type == uint8_t(MessageType::kVideo))
    emit(ClientEvent::Kind::kMedia, {}, std::move(m));
}

// Data messages on the play stream: onMetaData and other script data become media (FLV script
// tags); |RtmpSampleAccess is for Flash players only; onPlayStatus carries Play.Complete.
void ClientConnection::on_play_data(Message&& m) {
  amf0::Value name;
  if (amf0::decode(m.payload, name, nullptr) == 0 || !name.is_string()) return;
  const std::string& n = name.string();
  if (n == "|RtmpSampleAccess") return;
  if (n == "onPlayStatus") {
    std::vector<amf0::Value> values;
    if (!amf0::decode_all(m.payload, values, nullptr) || values.size() < 2) return;
    auto code = values[1].get_string("code");
    if (code && *code == "NetStream.Play.Complete" && phase_ == ClientPhase::kStreaming)
      emit(ClientEvent::Kind::kStreamEnded, {"status", *code, "", ""});
    return;
  }
  if (n == "@setDataFrame") {  // relayed as sent by a publisher: drop the wrapper name
    size_t skip = amf0::decode(m.payload, name, nullptr);
    m.payload.erase(m.payload.begin(), m.payload.begin() + static_cast<std::ptrdiff_t>(skip));
  }
  emit(ClientEvent::Kind::kMedia, {}, std::move(m));
}

bool ClientConnection::seek(double ms) {
  if (config_.mode != ClientMode::kPlay || !stream_created_ || phase_ != ClientPhase::kStreaming)
    return false;
  send(commands::call("seek", 0, amf0::Value::Null(), {amf0::Value::Number(ms)}, stream_id_));
  return true;
}

bool ClientConnection::pause(bool paused, double ms) {
  if (config_.mode != ClientMode::kPlay || !stream_created_ || phase_ != ClientPhase::kStreaming)
    return false;
  send(commands::call("pause", 0, amf0::Value::Null(),
                      {amf0::Value::Boolean(paused), amf0::Value::Number(ms)}, stream_id_));
  return true;
}

void ClientConnection::on_control(const Message& m) {
  auto value = control::parse_u32(m.payload);
  if (!value) {
    fail(ErrorKind::kProtocol, "truncated protocol control message");
    return;
  }
  switch (static_cast<MessageType>(m.type)) {
    case MessageType::kAcknowledgement:
      counters_.bytes_acked_by_peer = *value;
      break;
    case MessageType::kWindowAckSize:
      counters_.in_window_ack_size = *value;
      acks_.set_window(*value);
      break;
    case MessageType::kSetPeerBandwidth: {
      auto bw = control::parse_peer_bandwidth(m.payload);
      if (bw && bw->size != last_window_sent_) {
        last_window_sent_ = bw->size;
        send(control::window_ack_size(bw->size));
        counters_.out_window_ack_size = bw->size;
      }
      break;
    }
    default:
      break;  // Set Chunk Size and Abort are applied by the chunk reader
  }
}

void ClientConnection::on_user_control(const Message& m) {
  auto uc = control::parse_user_control(m.payload);
  if (!uc) {
    fail(ErrorKind::kProtocol, "truncated user control message");
    return;
  }
  using Ev = control::UserControlEvent;
  switch (static_cast<Ev>(uc->event)) {
    case Ev::kPingRequest:
      send(control::user_control(Ev::kPingResponse, uc->value));
      break;
    case Ev::kStreamEof:
      if (config_.mode == ClientMode::kPlay && stream_created_ && uc->value == stream_id_ &&
          phase_ == ClientPhase::kStreaming)
        emit(ClientEvent::Kind::kStreamEnded, {"status", "StreamEOF", "end of stream", ""});
      break;
    case Ev::kStreamIsRecorded:
      if (config_.mode == ClientMode::kPlay && stream_created_ && uc->value == stream_id_)
        emit(ClientEvent::Kind::kRecorded);
      break;
    default:
      break;  // StreamBegin, buffer events: informational
  }
}

void ClientConnection::on_command(const Message& m) {
  std::string err;
  auto c = commands::parse_command(m.payload, &err);
  if (!c) {
    fail(ErrorKind::kProtocol, "malformed command from server: " + err);
    return;
  }
  if (c->name == "_result" || c->name == "_error") {
    auto request = transactions_.finish(c->transaction_id);
    if (!request) return;  // a reply to nothing we asked: ignore, as other clients do
    if (c->name == "_result")
      on_result(*c, *request);
    else
      on_error_reply(*c, *request);
  } else if (c->name == "onStatus") {
    on_status(*c);
  } else if (c->name == "close") {
    fail(ErrorKind::kDisconnected, "server closed the connection");
  } else if (config_.mode == ClientMode::kPlay && phase_ == ClientPhase::kStreaming &&
             (c->name == "deleteStream" || c->name == "FCUnpublish" || c->name == "closeStream")) {
    // A server relaying a publisher's stop commands (FFmpeg's listen mode) ends the stream so.
    emit(ClientEvent::Kind::kStreamEnded, {"status", c->name, "server stopped the stream", ""});
  }
  // onBWDone, onFCPublish, onFCUnpublish, |RtmpSampleAccess ...: nothing to do
}

void ClientConnection::on_result(const commands::Command& c, const std::string& request) {
  if (request == "connect") {
    if (phase_ != ClientPhase::kConnectingApp) return;
    note_server_capabilities(c);
    set_phase(ClientPhase::kCreatingStream);
    if (!config_.secure_token.empty() && answer_secure_token(c)) send_stream_requests();
  } else if (request == "createStream") {
    double id = c.arguments.empty() || !c.arguments[0].is_number() ? -1 : c.arguments[0].number();
    // A message stream id is an unsigned 32-bit integer; anything else (NaN, fractions, out of
    // range) is refused rather than converted.
    if (!(id >= 0 && id <= 4294967295.0) || id != static_cast<double>(static_cast<uint32_t>(id))) {
      fail(ErrorKind::kCreateStreamFailed, "createStream reply carries no valid stream id");
      return;
    }
    stream_id_ = static_cast<uint32_t>(id);
    stream_created_ = true;
    start_stream();
  }
}

// The Enhanced RTMP fields of connect's _result, in its command object or its info object.
void ClientConnection::note_server_capabilities(const commands::Command& c) {
  server_caps_ = parse_capabilities(c.command_object);
  for (size_t i = 0; i < c.arguments.size() && !server_caps_.present(); i++)
    server_caps_ = parse_capabilities(c.arguments[i]);
  log_lazily(logger_, LogLevel::kInfo,
             [&] { return "server's Enhanced RTMP answer: " + describe(server_caps_); });
}

void ClientConnection::on_error_reply(const commands::Command& c, const std::string& request) {
  auto info = commands::status_info(c).value_or(commands::StatusInfo{"error", "", "", ""});
  if (request == "connect") {
    auth::Rejection rejection = auth::parse_rejection(info.description);
    if (rejection.kind != auth::Rejection::Kind::kNotAuth) {
      std::string method = rejection.kind == auth::Rejection::Kind::kUnsupported
                               ? rejection.authmod
                               : auth::method_name(rejection.method);
      auth_rejection_ = std::move(rejection);
      fail(ErrorKind::kAuthRequired, "server requires authentication (authmod=" + method + ")",
           info.code);
      return;
    }
    auto kind = info.code == "NetConnection.Connect.InvalidApp" ? ErrorKind::kInvalidApp
                                                                : ErrorKind::kConnectRejected;
    std::string text = "server rejected connect to application '" + config_.connect.app + "'";
    if (!info.code.empty()) text += " (" + describe(info) + ")";
    fail(kind, std::move(text), info.code);
  } else if (request == "createStream") {
    fail(ErrorKind::kCreateStreamFailed, "server refused createStream (" + describe(info) + ")",
         info.code);
  }
  // _error to releaseStream / FCPublish / FCSubscribe is common and harmless.
}

void ClientConnection::start_stream() {
  set_phase(ClientPhase::kStartingStream);
  if (config_.mode == ClientMode::kPublish) {
    send(commands::publish(config_.stream, config_.publish_type, stream_id_));
  } else {
    send(commands::play(config_.stream, stream_id_, config_.play_start));
    send(control::set_buffer_length(stream_id_, config_.play_buffer_ms));
  }
}

void ClientConnection::on_status(const commands::Command& c) {
  auto info = commands::status_info(c);
  if (!info) return;
  if (info->code == "NetConnection.Connect.Closed") {
    fail(ErrorKind::kDisconnected, "server closed the connection (" + describe(*info) + ")",
         info->code);
    return;
  }
  if (config_.mode == ClientMode::kPublish && starts_with(info->code, "NetStream.Publish."))
    on_publish_status(*info);
  else if (config_.mode == ClientMode::kPlay && (starts_with(info->code, "NetStream.Play.") ||
                                                 starts_with(info->code, "NetStream.Seek.")))
    on_play_status(*info);
  else if (info->level == "error" && phase_ == ClientPhase::kStartingStream)
    fail(config_.mode == ClientMode::kPublish ? ErrorKind::kPublishFailed : ErrorKind::kPlayFailed,
         "server refused the stream (" + describe(*info) + ")", info->code);
  else
    emit(ClientEvent::Kind::kStatus, *info);
}

void ClientConnection::on_publish_status(const commands::StatusInfo& s) {
  if (s.code == "NetStream.Publish.Start") {
    if (phase_ == ClientPhase::kStartingStream) {
      set_phase(ClientPhase::kStreaming);
      emit(ClientEvent::Kind::kStreamStarted, s);
    }
    return;
  }
  if (s.level != "error" && s.code != "NetStream.Publish.BadName" &&
      s.code != "NetStream.Publish.Denied") {
    emit(ClientEvent::Kind::kStatus, s);
    return;
  }
  std::string text = "server refused to publish '" + config_.stream + "' (" + describe(s) + ")";
  if (s.code == "NetStream.Publish.BadName")
    fail(ErrorKind::kPublishBadName, std::move(text), s.code);
  else if (s.code == "NetStream.Publish.Denied" || s.code == "NetStream.Publish.Rejected" ||
           s.code == "NetStream.Publish.Unauthorized")
    fail(ErrorKind::kPublishDenied, std::move(text), s.code);
  else
    fail(ErrorKind::kPublishFailed, std::move(text), s.code);
}

void ClientConnection::on_play_status(const commands::StatusInfo& s) {
  if (s.code == "NetStream.Play.Start" || s.code == "NetStream.Play.Reset") {
    if (phase_ == ClientPhase::kStartingStream) {
      set_phase(ClientPhase::kStreaming);
      emit(ClientEvent::Kind::kStreamStarted, s);
    } else {
      emit(ClientEvent::Kind::kStatus, s);
    }
    return;
  }
  if (s.code == "NetStream.Play.Stop" || s.code == "NetStream.Play.UnpublishNotify" ||
      s.code == "NetStream.Play.Complete") {
    emit(ClientEvent::Kind::kStreamEnded, s);
    return;
  }
  if (s.code == "NetStream.Seek.Notify") {
    emit(ClientEvent::Kind::kSeekDone, s);
    return;
  }
  if (s.code == "NetStream.Play.StreamNotFound") {
    fail(ErrorKind::kStreamNotFound,
         "stream '" + config_.stream + "' not found (" + describe(s) + ")", s.code);
    return;
  }
  if (s.level == "error") {
    fail(ErrorKind::kPlayFailed,
         "server refused to play '" + config_.stream + "' (" + describe(s) + ")", s.code);
    return;
  }
  emit(ClientEvent::Kind::kStatus, s);
}

bool ClientConnection::send_media(const Message& message) {
  return send_media(Message(message));
}

bool ClientConnection::send_media(Message&& message) {
  return send_media(MediaMessage(std::move(message)));
}

bool ClientConnection::send_media(MediaMessage&& message) {
  if (phase_ != ClientPhase::kStreaming || config_.mode != ClientMode::kPublish) return false;
  if (!writer_.write(message.chunk_stream, message.type, message.timestamp, stream_id_,
                     message.payload, out_))
    return false;
  counters_.messages_out++;
  counters_.media_messages_out++;
  log_lazily(logger_, LogLevel::kLog, [&] {
    return "sent " +
           std::string(message.type == 8   ? "audio"
                       : message.type == 9 ? "video"
                                           : "data") +
           " " + std::to_string(message.payload.size()) + " bytes ts " +
           std::to_string(message.timestamp) + " on csid " + std::to_string(message.chunk_stream);
  });
  return true;
}

bool ClientConnection::set_chunk_size(uint32_t size) {
  if (size < 1 || size > ChunkWriter::kMaxChunkSize) return false;
  config_.chunk_size = size;
  bool announced = phase_ != ClientPhase::kIdle && phase_ != ClientPhase::kHandshaking &&
                   phase_ != ClientPhase::kFailed;
  if (!announced || size == writer_.chunk_size()) return true;
  if (!writer_.set_chunk_size(size, out_)) return false;
  counters_.out_chunk_size = size;
  log_lazily(logger_, LogLevel::kDebug,
             [&] { return "sent Set Chunk Size " + std::to_string(size); });
  return true;
}

void ClientConnection::finish() {
  if (phase_ == ClientPhase::kFailed || phase_ == ClientPhase::kClosing ||
      phase_ == ClientPhase::kIdle)
    return;
  if (stream_created_) {
    // Playing always deletes its stream; publishing sends what stop_commands asks for.
    uint32_t stop = config_.mode == ClientMode::kPublish ? config_.stop_commands : 4;
    if (stop & 1) send(commands::fc_unpublish(config_.stream, transactions_.begin("FCUnpublish")));
    if (stop & 2) send(commands::close_stream(stream_id_));
    if (stop & 4) send(commands::delete_stream(stream_id_));
  }
  set_phase(ClientPhase::kClosing);
}

}  // namespace rtmp
