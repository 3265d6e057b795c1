#include <gtest/gtest.h>

#include "rtmp/control.hpp"

namespace {

using rtmp::Bytes;
using rtmp::Message;
using namespace rtmp::control;

void expect_control(const Message& m, uint8_t type, const Bytes& payload) {
  EXPECT_EQ(m.type, type);
  EXPECT_EQ(m.chunk_stream, rtmp::csid::kProtocolControl);
  EXPECT_EQ(m.stream_id, 0u);
  EXPECT_EQ(m.timestamp, 0u);
  EXPECT_EQ(m.payload, payload);
}

TEST(Control, ProtocolControlBuilders) {
  expect_control(set_chunk_size(4096), 1, {0x00, 0x00, 0x10, 0x00});
  expect_control(abort_message(6), 2, {0x00, 0x00, 0x00, 0x06});
  expect_control(acknowledgement(0xDEADBEEF), 3, {0xDE, 0xAD, 0xBE, 0xEF});
  expect_control(window_ack_size(2500000), 5, {0x00, 0x26, 0x25, 0xA0});
  expect_control(set_peer_bandwidth(2500000, kLimitDynamic), 6, {0x00, 0x26, 0x25, 0xA0, 0x02});
}

TEST(Control, UserControlBuilders) {
  expect_control(user_control(UserControlEvent::kStreamBegin, 1), 4, {0, 0, 0, 0, 0, 1});
  expect_control(user_control(UserControlEvent::kPingRequest, 0x01020304), 4, {0, 6, 1, 2, 3, 4});
  expect_control(user_control(UserControlEvent::kPingResponse, 0x01020304), 4, {0, 7, 1, 2, 3, 4});
  expect_control(user_control(UserControlEvent::kBufferReady, 1), 4, {0, 32, 0, 0, 0, 1});
  expect_control(set_buffer_length(1, 3000), 4, {0, 3, 0, 0, 0, 1, 0, 0, 0x0B, 0xB8});
  // Kept well formed: the buffer length is appended (as 0).
  expect_control(user_control(UserControlEvent::kSetBufferLength, 1), 4,
                 {0, 3, 0, 0, 0, 1, 0, 0, 0, 0});
}

TEST(Control, ParseU32) {
  EXPECT_EQ(parse_u32(Bytes{0x00, 0x00, 0x10, 0x00}), 4096u);
  EXPECT_EQ(parse_u32(Bytes{0x80, 0x00, 0x00, 0x01}), 0x80000001u);  // callers check the top bit
  EXPECT_EQ(parse_u32(Bytes{1, 2, 3, 4, 5}), 0x01020304u);
  EXPECT_FALSE(parse_u32(Bytes{1, 2, 3}));
  EXPECT_FALSE(parse_u32(Bytes{}));
  for (uint32_t v : {0u, 1u, 128u, 0x7FFFFFFFu, 0xFFFFFFFFu}) {
    EXPECT_EQ(parse_u32(acknowledgement(v).payload), v);
  }
}

TEST(Control, ParsePeerBandwidth) {
  const auto pb = parse_peer_bandwidth(set_peer_bandwidth(5000000, kLimitSoft).payload);
  ASSERT_TRUE(pb);
  EXPECT_EQ(pb->size, 5000000u);
  EXPECT_EQ(pb->limit_type, kLimitSoft);
  EXPECT_FALSE(parse_peer_bandwidth(Bytes{0, 0, 0, 1}));
  EXPECT_FALSE(parse_peer_bandwidth(Bytes{0, 0, 0, 1, 3}));
  EXPECT_TRUE(parse_peer_bandwidth(Bytes{0, 0, 0, 1, 0}));
}

TEST(Control, ParseUserControl) {
  auto uc = parse_user_control(user_control(UserControlEvent::kStreamEof, 7).payload);
  ASSERT_TRUE(uc);
  EXPECT_EQ(uc->event, 1);
  EXPECT_EQ(uc->value, 7u);
  EXPECT_EQ(uc->buffer_ms, 0u);

  uc = parse_user_control(set_buffer_length(3, 1500).payload);
  ASSERT_TRUE(uc);
  EXPECT_EQ(uc->event, 3);
  EXPECT_EQ(uc->value, 3u);
  EXPECT_EQ(uc->buffer_ms, 1500u);

  uc = parse_user_control(user_control(UserControlEvent::kPingRequest, 123456).payload);
  ASSERT_TRUE(uc);
  EXPECT_EQ(uc->event, 6);
  EXPECT_EQ(uc->value, 123456u);
}

TEST(Control, ParseUserControlMalformed) {
  EXPECT_FALSE(parse_user_control(Bytes{}));
  EXPECT_FALSE(parse_user_control(Bytes{0}));
  EXPECT_FALSE(parse_user_control(Bytes{0, 0, 0, 0, 1}));              // Stream Begin, 3 bytes
  EXPECT_FALSE(parse_user_control(Bytes{0, 3, 0, 0, 0, 1, 0, 0, 1}));  // SetBufferLength, short
  EXPECT_FALSE(parse_user_control(Bytes{0, 6}));                       // Ping without timestamp
}

TEST(Control, ParseUserControlUnknownEvent) {
  auto uc = parse_user_control(Bytes{0, 26});  // e.g. SWF verification request: no data
  ASSERT_TRUE(uc);
  EXPECT_EQ(uc->event, 26);
  EXPECT_EQ(uc->value, 0u);
  uc = parse_user_control(Bytes{0x12, 0x34, 0, 0, 0, 9, 1, 2});
  ASSERT_TRUE(uc);
  EXPECT_EQ(uc->event, 0x1234);
  EXPECT_EQ(uc->value, 9u);
}

TEST(AckTracker, DisabledByDefault) {
  AckTracker t;
  EXPECT_EQ(t.window(), 0u);
  EXPECT_FALSE(t.on_received(1000000));
  t.set_window(0);
  EXPECT_FALSE(t.on_received(5000000000ull));
}

TEST(AckTracker, AcknowledgesEachWindow) {
  AckTracker t;
  t.set_window(100);
  EXPECT_EQ(t.window(), 100u);
  EXPECT_FALSE(t.on_received(50));
  EXPECT_FALSE(t.on_received(99));
  EXPECT_EQ(t.on_received(100), 100u);
  EXPECT_FALSE(t.on_received(100));
  EXPECT_FALSE(t.on_received(199));
  EXPECT_EQ(t.on_received(250), 250u);  // counted from the last acknowledgement
  EXPECT_FALSE(t.on_received(349));
  EXPECT_EQ(t.on_received(350), 350u);
  EXPECT_EQ(t.on_received(10000), 10000u);  // many windows at once: one acknowledgement
  EXPECT_FALSE(t.on_received(10050));
}

TEST(AckTracker, WindowChange) {
  AckTracker t;
  t.set_window(1000);
  EXPECT_FALSE(t.on_received(600));
  t.set_window(500);  // the last acknowledgement position (0) is kept
  EXPECT_EQ(t.on_received(600), 600u);
  t.set_window(0);
  EXPECT_FALSE(t.on_received(100000));
  t.set_window(2000);
  EXPECT_EQ(t.on_received(100000), 100000u);
}

TEST(AckTracker, SequenceNumberWraps) {
  AckTracker t;
  t.set_window(2500000);
  const uint64_t base = 0xFFFFFFFFull - 1000000;
  EXPECT_EQ(t.on_received(base), static_cast<uint32_t>(base));
  EXPECT_FALSE(t.on_received(base + 2499999));
  EXPECT_EQ(t.on_received(base + 2500000), static_cast<uint32_t>(base + 2500000));
  EXPECT_EQ(static_cast<uint32_t>(base + 2500000), 1499999u);
}

}  // namespace
