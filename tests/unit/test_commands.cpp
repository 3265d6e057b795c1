#include "rtmp/commands.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

using rtmp::Bytes;
using rtmp::ByteView;
using rtmp::Message;
using rtmp::amf0::Property;
using rtmp::amf0::Value;
using namespace rtmp::commands;

namespace {

Bytes payload_of(const std::vector<Value>& values) {
  Bytes b;
  for (const auto& v : values) rtmp::amf0::encode(v, b);
  return b;
}

// Every split point of a valid command payload: an error, or a clean prefix of the full parse.
void expect_truncations_clean(const Bytes& payload, const Command& full) {
  for (size_t len = 0; len < payload.size(); ++len) {
    std::string err;
    auto c = parse_command(ByteView(payload.data(), len), &err);
    if (!c) {
      EXPECT_FALSE(err.empty()) << len;
      continue;
    }
    EXPECT_EQ(c->name, full.name) << len;
    if (c->transaction_id != full.transaction_id) {
      // Cut right after the name: a command without a transaction id (id 0), nothing else.
      EXPECT_EQ(c->transaction_id, 0) << len;
      EXPECT_EQ(c->command_object.type(), rtmp::amf0::Type::kUndefined) << len;
      EXPECT_TRUE(c->arguments.empty()) << len;
      continue;
    }
    if (c->command_object.type() != rtmp::amf0::Type::kUndefined) {
      EXPECT_EQ(c->command_object, full.command_object) << len;
    }
    ASSERT_LE(c->arguments.size(), full.arguments.size()) << len;
    for (size_t i = 0; i < c->arguments.size(); ++i) {
      EXPECT_EQ(c->arguments[i], full.arguments[i]) << len;
    }
  }
}

// Checks the common message header fields and parses the payload back.
Command parse_message(const Message& m, uint32_t stream_id = 0) {
  EXPECT_EQ(m.type, 20);
  EXPECT_EQ(m.chunk_stream, rtmp::csid::kCommand);
  EXPECT_EQ(m.timestamp, 0u);
  EXPECT_EQ(m.stream_id, stream_id);
  std::string err;
  auto c = parse_command(m.payload, &err);
  EXPECT_TRUE(c.has_value()) << err;
  if (!c) return {};
  expect_truncations_clean(m.payload, *c);
  return *c;
}

std::vector<std::string> keys(const Value& o) {
  std::vector<std::string> out;
  for (const auto& p : o.properties()) out.push_back(p.first);
  return out;
}

ConnectParams base_params() {
  ConnectParams p;
  p.app = "live";
  p.flash_ver = "FMLE/3.0 (compatible; gst)";
  p.tc_url = "rtmp://example.com/live";
  return p;
}

Value info(const char* level, const char* code, const char* desc) {
  return Value::Object({{"level", Value::String(level)},
                        {"code", Value::String(code)},
                        {"description", Value::String(desc)}});
}

}  // namespace

TEST(CommandsConnect, PlayDefaults) {
  const Command c = parse_message(connect(base_params(), 1));
  EXPECT_EQ(c.name, "connect");
  EXPECT_EQ(c.transaction_id, 1);
  EXPECT_TRUE(c.arguments.empty());
  const Value& o = c.command_object;
  ASSERT_EQ(o.type(), rtmp::amf0::Type::kObject);
  EXPECT_EQ(keys(o), (std::vector<std::string>{"app", "flashVer", "tcUrl", "fpad", "capabilities",
                                               "audioCodecs", "videoCodecs", "videoFunction",
                                               "objectEncoding"}));
  EXPECT_EQ(o.get_string("app"), "live");
  EXPECT_EQ(o.get_string("flashVer"), "FMLE/3.0 (compatible; gst)");
  EXPECT_EQ(o.get_string("tcUrl"), "rtmp://example.com/live");
  EXPECT_EQ(*o.get("fpad"), Value::Boolean(false));
  EXPECT_EQ(o.get_number("capabilities"), 15);
  EXPECT_EQ(o.get_number("audioCodecs"), 3191);
  EXPECT_EQ(o.get_number("videoCodecs"), 252);
  EXPECT_EQ(o.get_number("videoFunction"), 1);
  EXPECT_EQ(o.get_number("objectEncoding"), 0);
}

TEST(CommandsConnect, PublishWithUrls) {
  ConnectParams p = base_params();
  p.publish = true;
  p.swf_url = "http://example.com/player.swf";
  p.page_url = "http://example.com/";
  p.object_encoding = 3;
  const Command c = parse_message(connect(p, 7));
  EXPECT_EQ(c.transaction_id, 7);
  const Value& o = c.command_object;
  EXPECT_EQ(keys(o), (std::vector<std::string>{"app", "type", "flashVer", "swfUrl", "tcUrl",
                                               "pageUrl", "objectEncoding"}));
  EXPECT_EQ(o.get_string("type"), "nonprivate");
  EXPECT_EQ(o.get_string("swfUrl"), "http://example.com/player.swf");
  EXPECT_EQ(o.get_string("pageUrl"), "http://example.com/");
  EXPECT_EQ(o.get_number("objectEncoding"), 3);
  EXPECT_EQ(o.get("fpad"), nullptr);
  EXPECT_EQ(o.get("capabilities"), nullptr);
}

TEST(CommandsConnect, PlayWithOnlySwfUrl) {
  ConnectParams p = base_params();
  p.swf_url = "s";
  const Command c = parse_message(connect(p, 1));
  EXPECT_EQ(c.command_object.get("type"), nullptr);
  EXPECT_EQ(c.command_object.get("pageUrl"), nullptr);
  EXPECT_EQ(keys(c.command_object)[2], "swfUrl");
}

TEST(CommandsConnect, ExtraPropertiesAppendAndReplace) {
  ConnectParams p = base_params();
  p.extra = {{"flashVer", Value::String("LNX 9,0,124,2")},
             {"token", Value::String("abc")},
             {"n", Value::Number(5)}};
  const Command c = parse_message(connect(p, 1));
  const auto k = keys(c.command_object);
  ASSERT_EQ(k.size(), 11u);
  EXPECT_EQ(k[1], "flashVer");
  EXPECT_EQ(k[9], "token");
  EXPECT_EQ(k[10], "n");
  EXPECT_EQ(c.command_object.get_string("flashVer"), "LNX 9,0,124,2");
  EXPECT_EQ(c.command_object.get_number("n"), 5);
}

TEST(CommandsConnect, ExtraArgsFollowTheCommandObject) {
  ConnectParams p = base_params();
  EXPECT_TRUE(parse_message(connect(p, 1)).arguments.empty());
  p.extra_args = {Value::Boolean(true), Value::String("auth"),
                  Value::Object({{"code", Value::Number(1.5)}, {"flag", Value::String("ok")}}),
                  Value::Null()};
  const Command c = parse_message(connect(p, 3));
  EXPECT_EQ(c.name, "connect");
  EXPECT_EQ(c.transaction_id, 3);
  EXPECT_EQ(c.command_object.get_string("app"), p.app);
  EXPECT_EQ(c.arguments, p.extra_args);
}

TEST(CommandsBuilders, Call) {
  const Value obj = Value::Object({{"x", Value::Number(1)}});
  const Message m = call("myCall", 9, obj, {Value::String("a"), Value::Null()}, 4);
  const Command c = parse_message(m, 4);
  EXPECT_EQ(c.name, "myCall");
  EXPECT_EQ(c.transaction_id, 9);
  EXPECT_EQ(c.command_object, obj);
  EXPECT_EQ(c.arguments, (std::vector<Value>{Value::String("a"), Value::Null()}));
  EXPECT_EQ(m.payload, payload_of({Value::String("myCall"), Value::Number(9), obj,
                                   Value::String("a"), Value::Null()}));
}

TEST(CommandsBuilders, StreamSetup) {
  struct Case {
    Message m;
    const char* name;
    double txn;
  };
  const std::vector<Case> cases = {
      {release_stream("key", 2), "releaseStream", 2},
      {fc_publish("key", 3), "FCPublish", 3},
      {fc_unpublish("key", 6), "FCUnpublish", 6},
  };
  for (const auto& tc : cases) {
    const Command c = parse_message(tc.m);
    EXPECT_EQ(c.name, tc.name);
    EXPECT_EQ(c.transaction_id, tc.txn);
    EXPECT_TRUE(c.command_object.is_null());
    EXPECT_EQ(c.arguments, (std::vector<Value>{Value::String("key")}));
  }
  const Command cs = parse_message(create_stream(4));
  EXPECT_EQ(cs.name, "createStream");
  EXPECT_EQ(cs.transaction_id, 4);
  EXPECT_TRUE(cs.command_object.is_null());
  EXPECT_TRUE(cs.arguments.empty());
}

TEST(CommandsBuilders, Publish) {
  const Command c = parse_message(publish("key", "live", 1, 5), 1);
  EXPECT_EQ(c.name, "publish");
  EXPECT_EQ(c.transaction_id, 5);
  EXPECT_TRUE(c.command_object.is_null());
  EXPECT_EQ(c.arguments, (std::vector<Value>{Value::String("key"), Value::String("live")}));
  const Command d = parse_message(publish("k2", "record", 3), 3);
  EXPECT_EQ(d.transaction_id, 0);
  EXPECT_EQ(d.arguments[1], Value::String("record"));
}

TEST(CommandsBuilders, Play) {
  const Command c = parse_message(play("movie", 1), 1);
  EXPECT_EQ(c.name, "play");
  EXPECT_EQ(c.transaction_id, 0);
  EXPECT_TRUE(c.command_object.is_null());
  EXPECT_EQ(c.arguments, (std::vector<Value>{Value::String("movie"), Value::Number(-2000),
                                             Value::Number(-1), Value::Boolean(true)}));
  const Command d = parse_message(play("m", 2, 0, 10, false), 2);
  EXPECT_EQ(d.arguments, (std::vector<Value>{Value::String("m"), Value::Number(0),
                                             Value::Number(10), Value::Boolean(false)}));
}

TEST(CommandsBuilders, DeleteAndCloseStream) {
  const Command d = parse_message(delete_stream(5, 8), 0);
  EXPECT_EQ(d.name, "deleteStream");
  EXPECT_EQ(d.transaction_id, 8);
  EXPECT_TRUE(d.command_object.is_null());
  EXPECT_EQ(d.arguments, (std::vector<Value>{Value::Number(5)}));
  EXPECT_EQ(parse_message(delete_stream(1), 0).transaction_id, 0);

  const Command c = parse_message(close_stream(5), 5);
  EXPECT_EQ(c.name, "closeStream");
  EXPECT_EQ(c.transaction_id, 0);
  EXPECT_TRUE(c.command_object.is_null());
  EXPECT_TRUE(c.arguments.empty());
}

TEST(CommandsParse, Errors) {
  std::string err;
  EXPECT_FALSE(parse_command(ByteView(), &err));
  EXPECT_FALSE(err.empty());
  EXPECT_FALSE(parse_command(payload_of({Value::Number(1), Value::Number(1)}), &err));
  EXPECT_NE(err.find("name"), std::string::npos) << err;
  // No transaction id (FFmpeg's listen mode sends a bare "onFCPublish"): id 0, and what follows
  // the name is the command object and the arguments.
  auto bare = parse_command(payload_of({Value::String("onFCPublish")}), &err);
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->transaction_id, 0);
  EXPECT_EQ(bare->command_object.type(), rtmp::amf0::Type::kUndefined);
  auto shifted =
      parse_command(payload_of({Value::String("x"), Value::Null(), Value::String("a")}), &err);
  ASSERT_TRUE(shifted);
  EXPECT_EQ(shifted->transaction_id, 0);
  EXPECT_TRUE(shifted->command_object.is_null());
  ASSERT_EQ(shifted->arguments.size(), 1u);
  EXPECT_FALSE(parse_command(payload_of({Value::String("x"), Value::Number(1)}), nullptr) ==
               std::nullopt);
  Bytes bad = payload_of({Value::String("x"), Value::Number(1), Value::Null()});
  bad.push_back(0x07);  // reference marker
  err.clear();
  EXPECT_FALSE(parse_command(bad, &err));
  EXPECT_NE(err.find("reference"), std::string::npos) << err;
  EXPECT_FALSE(parse_command(bad, nullptr));
}

TEST(CommandsParse, MissingCommandObjectIsUndefined) {
  const Bytes b = payload_of({Value::String("onBWDone"), Value::Number(0)});
  auto c = parse_command(b, nullptr);
  ASSERT_TRUE(c);
  EXPECT_EQ(c->name, "onBWDone");
  EXPECT_EQ(c->command_object.type(), rtmp::amf0::Type::kUndefined);
  EXPECT_TRUE(c->arguments.empty());
}

TEST(CommandsStatus, NginxOnStatus) {
  const Bytes b = payload_of({Value::String("onStatus"), Value::Number(0), Value::Null(),
                              info("status", "NetStream.Publish.Start", "Start publishing")});
  auto c = parse_command(b, nullptr);
  ASSERT_TRUE(c);
  expect_truncations_clean(b, *c);
  auto s = status_info(*c);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->level, "status");
  EXPECT_EQ(s->code, "NetStream.Publish.Start");
  EXPECT_EQ(s->description, "Start publishing");
}

TEST(CommandsStatus, ErrorWithInfoObject) {
  const Bytes b = payload_of({Value::String("_error"), Value::Number(1), Value::Null(),
                              info("error", "NetConnection.Connect.Rejected", "denied")});
  auto c = parse_command(b, nullptr);
  ASSERT_TRUE(c);
  expect_truncations_clean(b, *c);
  auto s = status_info(*c);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->level, "error");
  EXPECT_EQ(s->code, "NetConnection.Connect.Rejected");
}

TEST(CommandsStatus, ConnectResult) {
  const Value props = Value::Object(
      {{"fmsVer", Value::String("FMS/3,0,1,123")}, {"capabilities", Value::Number(31)}});
  Value inf = info("status", "NetConnection.Connect.Success", "Connection succeeded.");
  inf.set("objectEncoding", Value::Number(0));
  const Bytes b = payload_of({Value::String("_result"), Value::Number(1), props, inf});
  auto c = parse_command(b, nullptr);
  ASSERT_TRUE(c);
  expect_truncations_clean(b, *c);
  EXPECT_EQ(c->command_object, props);
  auto s = status_info(*c);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->code, "NetConnection.Connect.Success");
  EXPECT_EQ(s->description, "Connection succeeded.");
}

TEST(CommandsStatus, CreateStreamResultHasNoInfo) {
  const Bytes b =
      payload_of({Value::String("_result"), Value::Number(4), Value::Null(), Value::Number(1)});
  auto c = parse_command(b, nullptr);
  ASSERT_TRUE(c);
  expect_truncations_clean(b, *c);
  EXPECT_EQ(c->arguments, (std::vector<Value>{Value::Number(1)}));
  EXPECT_FALSE(status_info(*c));
}

TEST(CommandsStatus, FallsBackToCommandObjectAndSkipsObjectsWithoutCode) {
  Command c;
  c.name = "onStatus";
  c.command_object = info("status", "From.Command.Object", "");
  c.arguments = {Value::Object({{"level", Value::String("x")}}), Value::Number(3)};
  auto s = status_info(c);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->code, "From.Command.Object");

  c.arguments.push_back(Value::EcmaArray({{"code", Value::String("Ecma.Code")}}));
  s = status_info(c);
  ASSERT_TRUE(s);
  EXPECT_EQ(s->code, "Ecma.Code");
  EXPECT_EQ(s->level, "");
  EXPECT_EQ(s->description, "");

  Command none;
  none.command_object = Value::Object({{"code", Value::Number(1)}});
  EXPECT_FALSE(status_info(none));
}

TEST(CommandsTransactions, BeginFinish) {
  Transactions t;
  EXPECT_EQ(t.pending(), 0u);
  const double a = t.begin("connect");
  const double b = t.begin("releaseStream");
  const double c = t.begin("createStream");
  EXPECT_EQ(a, 1);
  EXPECT_EQ(b, 2);
  EXPECT_EQ(c, 3);
  EXPECT_EQ(t.pending(), 3u);
  // Out of order.
  EXPECT_EQ(t.finish(3), "createStream");
  EXPECT_EQ(t.finish(1), "connect");
  // Duplicate reply.
  EXPECT_EQ(t.finish(1), std::nullopt);
  // Unknown and malformed ids.
  EXPECT_EQ(t.finish(0), std::nullopt);
  EXPECT_EQ(t.finish(99), std::nullopt);
  EXPECT_EQ(t.finish(2.5), std::nullopt);
  EXPECT_EQ(t.finish(-2), std::nullopt);
  EXPECT_EQ(t.finish(std::numeric_limits<double>::quiet_NaN()), std::nullopt);
  EXPECT_EQ(t.finish(std::numeric_limits<double>::infinity()), std::nullopt);
  EXPECT_EQ(t.finish(1e300), std::nullopt);
  EXPECT_EQ(t.pending(), 1u);
  EXPECT_EQ(t.finish(2), "releaseStream");
  EXPECT_EQ(t.pending(), 0u);
}

TEST(CommandsTransactions, ClearKeepsIdsIncreasing) {
  Transactions t;
  t.begin("a");
  t.begin("b");
  t.clear();
  EXPECT_EQ(t.pending(), 0u);
  EXPECT_EQ(t.finish(1), std::nullopt);
  EXPECT_EQ(t.begin("c"), 3);
  EXPECT_EQ(t.finish(3), "c");
}

TEST(CommandsData, SetDataFrame) {
  const Value meta = Value::EcmaArray({{"duration", Value::Number(0)},
                                       {"width", Value::Number(1920)},
                                       {"encoder", Value::String("gst")}});
  const std::vector<Value> values = {Value::String("@setDataFrame"), Value::String("onMetaData"),
                                     meta};
  const Bytes b = payload_of(values);
  std::vector<Value> out;
  std::string err;
  ASSERT_TRUE(parse_data(b, out, &err)) << err;
  EXPECT_EQ(out, values);
  for (size_t len = 0; len < b.size(); ++len) {
    std::vector<Value> part;
    if (!parse_data(ByteView(b.data(), len), part, nullptr)) continue;
    ASSERT_LE(part.size(), values.size());
    for (size_t i = 0; i < part.size(); ++i) EXPECT_EQ(part[i], values[i]) << len;
  }
  EXPECT_FALSE(parse_data(Bytes{0x02, 0x00}, out, &err));
  EXPECT_FALSE(err.empty());
}
