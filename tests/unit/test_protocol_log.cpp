// What the protocol log says about each message, at which level, and what it never says.
#include <gtest/gtest.h>

#include "rtmp/commands.hpp"
#include "rtmp/control.hpp"
#include "rtmp/protocol_log.hpp"

namespace rtmp {
namespace {

using amf0::Value;

TEST(ProtocolLog, CommandsWithTheirStatus) {
  Message result =
      commands::call("_result", 1, Value::Null(),
                     {Value::Object({{"level", Value::String("status")},
                                     {"code", Value::String("NetConnection.Connect.Success")},
                                     {"description", Value::String("Connection succeeded.")}})});
  EXPECT_EQ(describe_message(result, Direction::kIn),
            "received _result #1 NetConnection.Connect.Success (status): Connection succeeded.");
  EXPECT_EQ(log_level_of(result), LogLevel::kInfo);
  EXPECT_EQ(describe_message(commands::create_stream(4), Direction::kOut), "sent createStream #4");
  EXPECT_EQ(describe_message(commands::publish("key", "live", 1), Direction::kOut),
            "sent publish #0 \"key\" \"live\"");
}

TEST(ProtocolLog, SecureTokenAnswerIsNeverShown) {
  Message m = commands::call("secureTokenResponse", 0, Value::Null(),
                             {Value::String("decrypted-token-value")});
  std::string text = describe_message(m, Direction::kOut);
  EXPECT_EQ(text, "sent secureTokenResponse #0 (answer not shown)");
}

TEST(ProtocolLog, ControlMessagesAtDebug) {
  EXPECT_EQ(describe_message(control::set_chunk_size(4096), Direction::kOut),
            "sent Set Chunk Size 4096");
  EXPECT_EQ(describe_message(control::window_ack_size(2500000), Direction::kIn),
            "received Window Acknowledgement Size 2500000");
  EXPECT_EQ(describe_message(control::set_peer_bandwidth(5000000, 2), Direction::kIn),
            "received Set Peer Bandwidth 5000000 limit 2");
  EXPECT_EQ(describe_message(control::set_buffer_length(1, 3000), Direction::kOut),
            "sent user control SetBufferLength 1 buffer 3000 ms");
  EXPECT_EQ(describe_message(control::user_control(control::UserControlEvent::kStreamIsRecorded, 1),
                             Direction::kIn),
            "received user control StreamIsRecorded 1");
  EXPECT_EQ(log_level_of(control::acknowledgement(1)), LogLevel::kDebug);
}

TEST(ProtocolLog, MediaAtLogAndMalformedCommandsSaySo) {
  Message v;
  v.type = 9;
  v.timestamp = 40;
  v.chunk_stream = 6;
  v.stream_id = 1;
  v.payload = {0x17, 1, 0, 0, 0};
  EXPECT_EQ(describe_message(v, Direction::kIn),
            "received video 5 bytes ts 40 csid 6 stream 1 first byte 0x17");
  EXPECT_EQ(log_level_of(v), LogLevel::kLog);
  Message bad;
  bad.type = 20;
  bad.payload = {0x02, 0x00};
  EXPECT_NE(describe_message(bad, Direction::kIn).find("malformed command"), std::string::npos);
}

class Recorder : public Logger {
 public:
  explicit Recorder(LogLevel max) : max_(max) {}
  bool enabled(LogLevel level) const override { return level <= max_; }
  void log(LogLevel, std::string_view text) override { lines.emplace_back(text); }
  std::vector<std::string> lines;

 private:
  LogLevel max_;
};

TEST(ProtocolLog, NothingIsFormattedBelowTheThreshold) {
  Recorder r(LogLevel::kInfo);
  log_message(&r, control::set_chunk_size(128), Direction::kOut);  // debug: off
  log_message(&r, commands::create_stream(2), Direction::kOut);
  bool made = false;
  log_lazily(&r, LogLevel::kTrace, [&] {
    made = true;
    return std::string("x");
  });
  EXPECT_FALSE(made);
  ASSERT_EQ(r.lines.size(), 1u);
  EXPECT_EQ(r.lines[0], "sent createStream #2");
  log_message(nullptr, commands::create_stream(3), Direction::kOut);  // no logger: nothing
}

}  // namespace
}  // namespace rtmp
