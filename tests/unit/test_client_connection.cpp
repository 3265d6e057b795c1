// ClientConnection against a scripted in-memory server built from the same core pieces.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "rtmp/amf0.hpp"
#include "rtmp/client_connection.hpp"

namespace rtmp {
namespace {

using amf0::Value;

struct ScriptedServer {
  ServerHandshake handshake{Bytes(1528, 0x5a), 0};
  bool shaken = false;
  ChunkReader reader;
  ChunkWriter writer;
  std::vector<Message> received;

  // Takes everything the client wrote.
  void take(ClientConnection& c) {
    ByteView in = c.output();
    size_t n = in.size();
    if (!shaken) {
      Bytes out;
      size_t used = 0;
      auto st = handshake.feed(in, &used, out);
      ASSERT_NE(st, ServerHandshake::Status::kError);
      pending.insert(pending.end(), out.begin(), out.end());
      in = in.subspan(used);
      shaken = st == ServerHandshake::Status::kDone;
    }
    if (shaken) {
      ASSERT_EQ(reader.feed(in, received), ChunkReader::Status::kOk) << reader.error();
    }
    c.consume_output(n);
  }
  void send(const Message& m) { ASSERT_TRUE(writer.write(m, pending)); }
  void command(const std::string& name, double txn, Value obj, std::vector<Value> args,
               uint32_t stream = 0) {
    send(commands::call(name, txn, obj, args, stream));
  }
  void status(const std::string& level, const std::string& code, const std::string& desc) {
    Value info = Value::Object();
    info.set("level", Value::String(level))
        .set("code", Value::String(code))
        .set("description", Value::String(desc));
    command("onStatus", 0, Value::Null(), {info}, 1);
  }
  std::vector<std::string> command_names() const {
    std::vector<std::string> names;
    for (const auto& m : received)
      if (m.type == uint8_t(MessageType::kCommandAmf0))
        names.push_back(commands::parse_command(m.payload, nullptr)->name);
    return names;
  }
  Bytes pending;
};

ClientConfig publish_config() {
  ClientConfig c;
  c.connect.app = "live";
  c.stream = "cam";
  c.connect.tc_url = "rtmp://127.0.0.1/live";
  return c;
}

// Delivers the server's pending bytes split at `split` (0 = whole), then lets the server read.
void deliver(ScriptedServer& s, ClientConnection& c, size_t split = 0) {
  Bytes data;
  data.swap(s.pending);
  if (split > 0 && split < data.size()) {
    c.receive(ByteView(data).first(split), 1);
    c.receive(ByteView(data).subspan(split), 2);
  } else {
    c.receive(data, 1);
  }
  s.take(c);
}

std::vector<ClientPhase> phases(ClientConnection& c) {
  std::vector<ClientPhase> out;
  ClientEvent ev;
  while (c.next_event(&ev))
    if (ev.kind == ClientEvent::Kind::kPhaseChanged) out.push_back(ev.phase);
  return out;
}

// Runs the set-up up to publish; returns false on the way if anything is off.
void reach_publishing(ScriptedServer& s, ClientConnection& c, size_t split = 0) {
  c.start();
  s.take(c);
  deliver(s, c, split);  // S0 S1 S2 -> C2 + chunk size + connect + pipelined commands
  ASSERT_EQ(c.phase(), ClientPhase::kConnectingApp);
  auto names = s.command_names();
  ASSERT_EQ(names,
            (std::vector<std::string>{"connect", "releaseStream", "FCPublish", "createStream"}));
  ASSERT_EQ(s.received[0].type, uint8_t(MessageType::kSetChunkSize));
  Value props = Value::Object();
  props.set("fmsVer", Value::String("FMS/3,0,1,123"));
  Value info = Value::Object();
  info.set("level", Value::String("status"))
      .set("code", Value::String("NetConnection.Connect.Success"));
  s.command("_result", 1, props, {info});
  s.command("_result", 2, Value::Null(), {});
  s.command("_result", 4, Value::Null(), {Value::Number(1)});
  deliver(s, c, split);
  ASSERT_EQ(c.phase(), ClientPhase::kStartingStream);
  ASSERT_EQ(s.command_names().back(), "publish");
  s.status("status", "NetStream.Publish.Start", "Start publishing");
  deliver(s, c, split);
  ASSERT_EQ(c.phase(), ClientPhase::kStreaming);
}

TEST(ClientConnection, PublishFlowAndStop) {
  ScriptedServer s;
  ClientConnection c(publish_config(), Bytes(1528, 1), 0);
  reach_publishing(s, c);
  EXPECT_EQ(phases(c),
            (std::vector<ClientPhase>{ClientPhase::kHandshaking, ClientPhase::kConnectingApp,
                                      ClientPhase::kCreatingStream, ClientPhase::kStartingStream,
                                      ClientPhase::kStreaming}));
  Message video;
  video.type = uint8_t(MessageType::kVideo);
  video.chunk_stream = csid::kVideo;
  video.timestamp = 40;
  video.payload = Bytes(10000, 7);
  ASSERT_TRUE(c.send_media(video));
  c.finish();
  s.take(c);
  auto& last_media = s.received[s.received.size() - 3];
  EXPECT_EQ(last_media.type, uint8_t(MessageType::kVideo));
  EXPECT_EQ(last_media.stream_id, 1u);
  EXPECT_EQ(last_media.timestamp, 40u);
  EXPECT_EQ(last_media.payload, video.payload);
  auto names = s.command_names();
  EXPECT_EQ(names[names.size() - 2], "FCUnpublish");
  EXPECT_EQ(names.back(), "deleteStream");
  EXPECT_EQ(c.phase(), ClientPhase::kClosing);
}

TEST(ClientConnection, ChunkSizeChangesMidStream) {
  ScriptedServer s;
  ClientConnection c(publish_config(), Bytes(1528, 1), 0);
  EXPECT_TRUE(c.set_chunk_size(300));  // before the handshake: announced after it
  reach_publishing(s, c);
  EXPECT_EQ(control::parse_u32(s.received[0].payload), 300u);
  EXPECT_FALSE(c.set_chunk_size(0));
  EXPECT_FALSE(c.set_chunk_size(0x80000000u));
  ASSERT_TRUE(c.set_chunk_size(100));
  EXPECT_EQ(c.counters().out_chunk_size, 100u);
  Message video;
  video.type = uint8_t(MessageType::kVideo);
  video.chunk_stream = csid::kVideo;
  video.payload = Bytes(1000, 3);
  ASSERT_TRUE(c.send_media(video));
  size_t before = s.received.size();
  s.take(c);  // the server's reader follows the Set Chunk Size and reassembles the video
  ASSERT_EQ(s.received.size(), before + 2);
  EXPECT_EQ(s.received[before].type, uint8_t(MessageType::kSetChunkSize));
  EXPECT_EQ(control::parse_u32(s.received[before].payload), 100u);
  EXPECT_EQ(s.received[before + 1].payload, video.payload);
  EXPECT_EQ(s.reader.chunk_size(), 100u);
}

TEST(ClientConnection, EnhancedRtmpInConnectAndTheServersAnswer) {
  for (bool announce : {true, false}) {
    ScriptedServer s;
    ClientConfig cfg = publish_config();
    cfg.announce_enhanced = announce;
    ClientConnection c(cfg, Bytes(1528, 1), 0);
    c.start();
    s.take(c);
    deliver(s, c);
    auto connect = commands::parse_command(s.received[1].payload, nullptr);
    ASSERT_TRUE(connect && connect->name == "connect");
    const Value& obj = connect->command_object;
    EXPECT_EQ(obj.get("fourCcList") != nullptr, announce);
    EXPECT_EQ(obj.get("videoFourCcInfoMap") != nullptr, announce);
    EXPECT_EQ(obj.get("audioFourCcInfoMap") != nullptr, announce);
    EXPECT_EQ(obj.get_number("capsEx"), announce ? std::optional<double>(15) : std::nullopt);
    // The legacy fields come first, as legacy servers expect.
    EXPECT_EQ(obj.properties().front().first, "app");
  }
  ScriptedServer s;
  ClientConnection c(publish_config(), Bytes(1528, 1), 0);
  c.start();
  s.take(c);
  deliver(s, c);
  Value props = Value::Object({{"fmsVer", Value::String("test")}, {"capsEx", Value::Number(3)}});
  Value info = Value::Object({{"level", Value::String("status")},
                              {"code", Value::String("NetConnection.Connect.Success")}});
  s.command("_result", 1, props, {info});
  deliver(s, c);
  EXPECT_EQ(c.server_capabilities().caps_ex, 3u);
}

TEST(ClientConnection, StopCommandsAsConfigured) {
  for (uint32_t flags : {0u, 1u, 2u, 4u, 7u}) {
    ScriptedServer s;
    ClientConfig cfg = publish_config();
    cfg.stop_commands = flags;
    ClientConnection c(cfg, Bytes(1528, 1), 0);
    reach_publishing(s, c);
    size_t before = s.command_names().size();
    c.finish();
    s.take(c);
    auto names = s.command_names();
    std::vector<std::string> sent(names.begin() + static_cast<ptrdiff_t>(before), names.end());
    std::vector<std::string> want;
    if (flags & 1) want.push_back("FCUnpublish");
    if (flags & 2) want.push_back("closeStream");
    if (flags & 4) want.push_back("deleteStream");
    EXPECT_EQ(sent, want) << flags;
  }
}

TEST(ClientConnection, PlaySubscribesWhenAsked) {
  ScriptedServer s;
  ClientConfig cfg = publish_config();
  cfg.mode = ClientMode::kPlay;
  cfg.subscribe = "cam_live";
  ClientConnection c(cfg, Bytes(1528, 1), 0);
  c.start();
  s.take(c);
  deliver(s, c);
  EXPECT_EQ(s.command_names(),
            (std::vector<std::string>{"connect", "createStream", "FCSubscribe"}));
  auto fcs = commands::parse_command(s.received.back().payload, nullptr);
  ASSERT_TRUE(fcs);
  ASSERT_EQ(fcs->arguments.size(), 1u);
  EXPECT_EQ(fcs->arguments[0], Value::String("cam_live"));
  s.command("_result", 1, Value::Null(), {});
  s.command("_error", 3, Value::Null(), {});  // servers without FCSubscribe: harmless
  s.command("_result", 2, Value::Null(), {Value::Number(1)});
  deliver(s, c);
  EXPECT_EQ(s.command_names().back(), "play");
  EXPECT_NE(c.phase(), ClientPhase::kFailed);
}

TEST(ClientConnection, ServerBytesSplitAtEveryBoundary) {
  for (size_t split = 1; split < 3200; split += 1) {
    ScriptedServer s;
    ClientConnection c(publish_config(), Bytes(1528, 1), 0);
    reach_publishing(s, c, split);
    if (HasFatalFailure()) FAIL() << "split " << split;
  }
}

TEST(ClientConnection, ConnectCommandCarriesConfiguredFields) {
  ScriptedServer s;
  ClientConfig cfg = publish_config();
  cfg.connect.flash_ver = "TEST 1,2,3";
  cfg.connect.swf_url = "http://x/player.swf";
  ClientConnection c(cfg, Bytes(1528, 1), 0);
  c.start();
  s.take(c);
  deliver(s, c);
  auto cmd = commands::parse_command(s.received[1].payload, nullptr);
  ASSERT_TRUE(cmd);
  EXPECT_EQ(cmd->command_object.get_string("app"), "live");
  EXPECT_EQ(cmd->command_object.get_string("tcUrl"), "rtmp://127.0.0.1/live");
  EXPECT_EQ(cmd->command_object.get_string("flashVer"), "TEST 1,2,3");
  EXPECT_EQ(cmd->command_object.get_string("swfUrl"), "http://x/player.swf");
  EXPECT_EQ(cmd->command_object.get_string("type"), "nonprivate");
  EXPECT_EQ(cmd->command_object.get("pageUrl"), nullptr);
}

void expect_connect_error(const std::string& code, ErrorKind kind) {
  ScriptedServer s;
  ClientConnection c(publish_config(), Bytes(1528, 1), 0);
  c.start();
  s.take(c);
  deliver(s, c);
  Value info = Value::Object();
  info.set("level", Value::String("error"))
      .set("code", Value::String(code))
      .set("description", Value::String("Authentication failed"));
  s.command("_error", 1, Value::Null(), {info});
  deliver(s, c);
  EXPECT_EQ(c.phase(), ClientPhase::kFailed);
  EXPECT_EQ(c.error().kind, kind);
  EXPECT_EQ(c.error().code, code);
  EXPECT_NE(c.error().message.find("Authentication failed"), std::string::npos);
}

TEST(ClientConnection, ConnectRejected) {
  expect_connect_error("NetConnection.Connect.Rejected", ErrorKind::kConnectRejected);
  expect_connect_error("NetConnection.Connect.InvalidApp", ErrorKind::kInvalidApp);
}

void expect_publish_error(const std::string& code, ErrorKind kind) {
  ScriptedServer s;
  ClientConnection c(publish_config(), Bytes(1528, 1), 0);
  c.start();
  s.take(c);
  deliver(s, c);
  s.command("_result", 1, Value::Null(), {});
  s.command("_result", 4, Value::Null(), {Value::Number(1)});
  deliver(s, c);
  s.status("error", code, "no");
  deliver(s, c);
  EXPECT_EQ(c.phase(), ClientPhase::kFailed);
  EXPECT_EQ(c.error().kind, kind);
  EXPECT_FALSE(c.send_media(Message{}));
}

TEST(ClientConnection, PublishRejected) {
  expect_publish_error("NetStream.Publish.BadName", ErrorKind::kPublishBadName);
  expect_publish_error("NetStream.Publish.Denied", ErrorKind::kPublishDenied);
  expect_publish_error("NetStream.Publish.Failed", ErrorKind::kPublishFailed);
}

TEST(ClientConnection, WrongHandshakeVersion) {
  ClientConnection c(publish_config(), Bytes(1528, 1), 0);
  c.start();
  const char http[] = "HTTP/1.1 400 Bad Request\r\n\r\n";
  c.receive(ByteView(reinterpret_cast<const uint8_t*>(http), sizeof http - 1), 0);
  EXPECT_EQ(c.phase(), ClientPhase::kFailed);
  EXPECT_EQ(c.error().kind, ErrorKind::kHandshake);
}

TEST(ClientConnection, GarbageAfterHandshakeIsAProtocolError) {
  ScriptedServer s;
  ClientConnection c(publish_config(), Bytes(1528, 1), 0);
  c.start();
  s.take(c);
  deliver(s, c);
  // fmt 1 header on a chunk stream never seen: not a valid start.
  Bytes garbage = {0x45, 0, 0, 0, 0, 0, 4, 20, 1, 2, 3, 4};
  c.receive(garbage, 3);
  EXPECT_EQ(c.phase(), ClientPhase::kFailed);
  EXPECT_EQ(c.error().kind, ErrorKind::kProtocol);
}

TEST(ClientConnection, AnswersPingAndAcknowledgesWindow) {
  ScriptedServer s;
  ClientConnection c(publish_config(), Bytes(1528, 1), 0);
  reach_publishing(s, c);
  s.received.clear();
  s.send(control::window_ack_size(5000));
  s.send(control::user_control(control::UserControlEvent::kPingRequest, 1234));
  deliver(s, c);
  ASSERT_EQ(s.received.size(), 1u);  // window not crossed yet (handshake bytes count)
  auto uc = control::parse_user_control(s.received[0].payload);
  ASSERT_TRUE(uc);
  EXPECT_EQ(uc->event, uint16_t(control::UserControlEvent::kPingResponse));
  EXPECT_EQ(uc->value, 1234u);
  s.received.clear();
  Message data;
  data.type = uint8_t(MessageType::kDataAmf0);
  data.chunk_stream = 5;
  data.stream_id = 1;
  data.payload = Bytes(6000, 0);
  s.send(data);
  deliver(s, c);
  ASSERT_EQ(s.received.size(), 1u);
  EXPECT_EQ(s.received[0].type, uint8_t(MessageType::kAcknowledgement));
  EXPECT_EQ(*control::parse_u32(s.received[0].payload), uint32_t(c.counters().bytes_in));
}

TEST(ClientConnection, PeerBandwidthAnsweredWithWindowAckSize) {
  ScriptedServer s;
  ClientConnection c(publish_config(), Bytes(1528, 1), 0);
  reach_publishing(s, c);
  s.received.clear();
  s.send(control::set_peer_bandwidth(2500000, 2));
  deliver(s, c);
  ASSERT_EQ(s.received.size(), 1u);
  EXPECT_EQ(s.received[0].type, uint8_t(MessageType::kWindowAckSize));
  EXPECT_EQ(*control::parse_u32(s.received[0].payload), 2500000u);
}

TEST(ClientConnection, PlayFlowDeliversMediaAndEnd) {
  ScriptedServer s;
  ClientConfig cfg = publish_config();
  cfg.mode = ClientMode::kPlay;
  ClientConnection c(cfg, Bytes(1528, 1), 0);
  c.start();
  s.take(c);
  deliver(s, c);
  EXPECT_EQ(s.command_names(), (std::vector<std::string>{"connect", "createStream"}));
  s.command("_result", 1, Value::Null(), {});
  s.command("_result", 2, Value::Null(), {Value::Number(1)});
  deliver(s, c);
  EXPECT_EQ(s.command_names().back(), "play");
  s.status("status", "NetStream.Play.Start", "go");
  Message audio;
  audio.type = uint8_t(MessageType::kAudio);
  audio.chunk_stream = 4;
  audio.stream_id = 1;
  audio.timestamp = 23;
  audio.payload = {0xaf, 1, 2, 3};
  s.send(audio);
  s.status("status", "NetStream.Play.Stop", "done");
  deliver(s, c);
  std::vector<ClientEvent::Kind> kinds;
  ClientEvent ev;
  Message got;
  while (c.next_event(&ev)) {
    kinds.push_back(ev.kind);
    if (ev.kind == ClientEvent::Kind::kMedia) got = ev.message;
  }
  EXPECT_EQ(got.payload, audio.payload);
  EXPECT_EQ(got.timestamp, 23u);
  EXPECT_EQ(kinds.back(), ClientEvent::Kind::kStreamEnded);
  EXPECT_EQ(c.phase(), ClientPhase::kStreaming);
}

TEST(ClientConnection, ServerCloseCommandFails) {
  ScriptedServer s;
  ClientConnection c(publish_config(), Bytes(1528, 1), 0);
  reach_publishing(s, c);
  s.command("close", 0, Value::Null(), {});
  deliver(s, c);
  EXPECT_EQ(c.error().kind, ErrorKind::kDisconnected);
}

}  // namespace
}  // namespace rtmp

namespace rtmp {
namespace {

// FFmpeg's listen server: media on message stream 0, and the stream ends with the publisher's
// stop commands (FCUnpublish, deleteStream) instead of a status.
TEST(ClientConnection, PlayAcceptsStreamZeroMediaAndStopCommandsEndTheStream) {
  ScriptedServer s;
  ClientConfig cfg = publish_config();
  cfg.mode = ClientMode::kPlay;
  ClientConnection c(cfg, Bytes(1528, 1), 0);
  c.start();
  s.take(c);
  deliver(s, c);
  s.command("_result", 1, Value::Null(), {});
  s.command("_result", 2, Value::Null(), {Value::Number(1)});
  s.status("status", "NetStream.Play.Start", "go");
  Message video;
  video.type = uint8_t(MessageType::kVideo);
  video.chunk_stream = 6;
  video.stream_id = 0;
  video.payload = {0x17, 1};
  s.send(video);
  s.command("deleteStream", 0, Value::Null(), {Value::Number(1)});
  deliver(s, c);
  std::vector<ClientEvent::Kind> kinds;
  ClientEvent ev;
  while (c.next_event(&ev))
    if (ev.kind != ClientEvent::Kind::kPhaseChanged) kinds.push_back(ev.kind);
  EXPECT_EQ(kinds, (std::vector<ClientEvent::Kind>{ClientEvent::Kind::kStreamStarted,
                                                   ClientEvent::Kind::kMedia,
                                                   ClientEvent::Kind::kStreamEnded}));
}

}  // namespace
}  // namespace rtmp

namespace rtmp {
namespace {

// A status and malformed chunks in the same read: the status is acted on before the error.
TEST(ClientConnection, MessagesBeforeAFaultInTheSameReadAreHandledFirst) {
  ScriptedServer s;
  ClientConnection c(publish_config(), Bytes(1528, 1), 0);
  c.start();
  s.take(c);
  deliver(s, c);
  s.command("_result", 1, Value::Null(), {});
  s.command("_result", 4, Value::Null(), {Value::Number(1)});
  deliver(s, c);
  s.status("status", "NetStream.Publish.Start", "go");
  Bytes bytes;
  bytes.swap(s.pending);
  Bytes garbage = {0x45, 0, 0, 0, 0, 0, 4, 20, 1, 2, 3, 4};  // fmt 1 on an unknown chunk stream
  bytes.insert(bytes.end(), garbage.begin(), garbage.end());
  c.receive(bytes, 5);
  std::vector<ClientPhase> seen = phases(c);
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen[seen.size() - 2], ClientPhase::kStreaming);
  EXPECT_EQ(seen.back(), ClientPhase::kFailed);
  EXPECT_EQ(c.error().kind, ErrorKind::kProtocol);
}

}  // namespace
}  // namespace rtmp

namespace rtmp {
namespace {

// Found by fuzz_client_connection: a stream id that is no uint32 must be refused, not converted.
TEST(ClientConnection, InvalidCreateStreamIdsAreRefused) {
  for (double id : {-1.0, 2.81475e+14, 1.5, std::nan("")}) {
    ScriptedServer s;
    ClientConnection c(publish_config(), Bytes(1528, 1), 0);
    c.start();
    s.take(c);
    deliver(s, c);
    s.command("_result", 1, Value::Null(), {});
    s.command("_result", 4, Value::Null(), {Value::Number(id)});
    deliver(s, c);
    EXPECT_EQ(c.phase(), ClientPhase::kFailed) << id;
    EXPECT_EQ(c.error().kind, ErrorKind::kCreateStreamFailed) << id;
  }
}

}  // namespace
}  // namespace rtmp

namespace rtmp {
namespace {

// Runs the handshake of `mode` against a plain or a digest server, bytes split at `split`.
ClientPhase handshake_against(HandshakeMode mode, bool digest_server, size_t split) {
  ClientConfig cfg = publish_config();
  cfg.handshake = mode;
  ClientConnection c(cfg, Bytes(1528, 7), 0);
  c.start();
  Bytes c0c1(c.output().begin(), c.output().end());
  c.consume_output(c0c1.size());
  Bytes s012;
  size_t used = 0;
  if (digest_server) {
    ServerHandshake server(Bytes(1528, 9), 0, true);
    server.feed(c0c1, &used, s012);
  } else {
    ServerHandshake server(Bytes(1528, 9), 0);
    server.feed(c0c1, &used, s012);
  }
  split = std::min(split, s012.size());
  c.receive(ByteView(s012).first(split), 1);
  c.receive(ByteView(s012).subspan(split), 2);
  return c.phase();
}

TEST(ClientConnection, HandshakeModes) {
  for (size_t split : {size_t{0}, size_t{1}, size_t{1537}, size_t{2000}, size_t{3073}}) {
    EXPECT_EQ(handshake_against(HandshakeMode::kAuto, true, split), ClientPhase::kConnectingApp);
    EXPECT_EQ(handshake_against(HandshakeMode::kAuto, false, split), ClientPhase::kConnectingApp);
    EXPECT_EQ(handshake_against(HandshakeMode::kPlain, false, split), ClientPhase::kConnectingApp);
    EXPECT_EQ(handshake_against(HandshakeMode::kPlain, true, split), ClientPhase::kConnectingApp);
    EXPECT_EQ(handshake_against(HandshakeMode::kDigest, true, split), ClientPhase::kConnectingApp);
    EXPECT_EQ(handshake_against(HandshakeMode::kDigest, false, split), ClientPhase::kFailed);
  }
}

}  // namespace
}  // namespace rtmp
