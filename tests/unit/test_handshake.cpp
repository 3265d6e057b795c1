#include "rtmp/handshake.hpp"

#include <gtest/gtest.h>

#include <string>

namespace rtmp {
namespace {

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  return b;
}

ByteView view(const Bytes& b, size_t from = 0, size_t to = SIZE_MAX) {
  to = std::min(to, b.size());
  return ByteView(b.data() + from, to - from);
}

// Manually built S0+S1+S2 (S2 echoes `c1`, the 1536-byte C1 packet).
Bytes server_bytes(const Bytes& c1, uint32_t s1_time, const Bytes& s1_random) {
  Bytes out{3};
  put_u32be(out, s1_time);
  put_u32be(out, 0);
  put_bytes(out, s1_random);
  put_bytes(out, view(c1, 0, 4));
  put_u32be(out, 0x01020304);
  put_bytes(out, view(c1, 8));
  return out;
}

// Expected C2 for the S1 in `server` (bytes 1..1536) with time2 = now.
Bytes expected_c2(const Bytes& server, uint32_t now) {
  Bytes c2;
  put_bytes(c2, view(server, 1, 5));
  put_u32be(c2, now);
  put_bytes(c2, view(server, 9, 1 + kHandshakeSize));
  return c2;
}

struct ClientRun {
  ClientHandshake::Status status = ClientHandshake::Status::kNeedMore;
  size_t consumed = 0;
  Bytes out;
};

struct Fixture {
  Bytes c_random = pattern(kHandshakeRandomSize, 11);
  Bytes s_random = pattern(kHandshakeRandomSize, 99);
  ClientHandshake client{c_random, 1000};
  Bytes c0c1;
  Bytes server;
  Fixture() {
    client.start(c0c1);
    server = server_bytes(Bytes(c0c1.begin() + 1, c0c1.end()), 5000, s_random);
  }
};

TEST(ClientHandshake, StartWritesC0AndC1) {
  const Bytes random = pattern(kHandshakeRandomSize, 3);
  ClientHandshake client(random, 0xAABBCCDD);
  Bytes out{0x77};  // appends, does not replace
  client.start(out);
  ASSERT_EQ(out.size(), 2 + kHandshakeSize);
  EXPECT_EQ(out[0], 0x77);
  EXPECT_EQ(out[1], 3);
  EXPECT_EQ(get_u32be(&out[2]), 0xAABBCCDDu);
  EXPECT_EQ(get_u32be(&out[6]), 0u);
  EXPECT_EQ(Bytes(out.begin() + 10, out.end()), random);
}

TEST(ClientHandshake, ShortRandomIsZeroPaddedLongIsTruncated) {
  const Bytes small{1, 2, 3};
  ClientHandshake a(small, 0);
  Bytes out;
  a.start(out);
  ASSERT_EQ(out.size(), 1 + kHandshakeSize);
  EXPECT_EQ(out[9], 1);
  EXPECT_EQ(out[11], 3);
  EXPECT_EQ(out[12], 0);
  EXPECT_EQ(out.back(), 0);

  ClientHandshake b(pattern(5000, 1), 0);
  Bytes out2;
  b.start(out2);
  EXPECT_EQ(out2.size(), 1 + kHandshakeSize);
}

TEST(ClientHandshake, WholeFeed) {
  Fixture f;
  size_t consumed = 0;
  Bytes out;
  EXPECT_EQ(f.client.feed(f.server, &consumed, out, 42), ClientHandshake::Status::kDone);
  EXPECT_EQ(consumed, f.server.size());
  EXPECT_EQ(out, expected_c2(f.server, 42));
  EXPECT_TRUE(f.client.s2_echoes_c1());
  EXPECT_TRUE(f.client.error().empty());
}

// A connection keeps no handshake packets once it is done: release_buffers() frees them, and the
// handshake still reports what it found and stays done.
TEST(ClientHandshake, ReleaseBuffersOnlyOnceDone) {
  Fixture f;
  size_t consumed = 0;
  Bytes out;
  f.client.release_buffers();  // not done yet: keeps C1
  EXPECT_EQ(f.client.c1().size(), kHandshakeSize);
  ASSERT_EQ(f.client.feed(f.server, &consumed, out, 42), ClientHandshake::Status::kDone);
  f.client.release_buffers();
  EXPECT_TRUE(f.client.c1().empty());
  EXPECT_EQ(f.client.c1().capacity(), 0u);
  EXPECT_TRUE(f.client.s2_echoes_c1());
  Bytes more;
  EXPECT_EQ(f.client.feed(f.server, &consumed, more, 43), ClientHandshake::Status::kDone);
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(more.empty());
}

ClientRun feed_split(const Bytes& server, size_t split, const Bytes& c_random) {
  ClientHandshake client(c_random, 1000);
  Bytes ignored;
  client.start(ignored);
  ClientRun run;
  size_t consumed = 0;
  auto first = client.feed(view(server, 0, split), &consumed, run.out, 42);
  EXPECT_EQ(consumed, split);
  const bool c2_after_first = split >= 1 + kHandshakeSize;
  EXPECT_EQ(run.out.empty(), !c2_after_first) << "split " << split;
  EXPECT_EQ(first == ClientHandshake::Status::kDone, split == server.size());
  run.consumed = consumed;
  run.status = client.feed(view(server, split), &consumed, run.out, 42);
  run.consumed += consumed;
  EXPECT_TRUE(client.s2_echoes_c1());
  return run;
}

TEST(ClientHandshake, EverySplitPointGivesSameResult) {
  Fixture f;
  const Bytes c2 = expected_c2(f.server, 42);
  for (size_t split = 0; split <= f.server.size(); ++split) {
    ClientRun run = feed_split(f.server, split, f.c_random);
    ASSERT_EQ(run.status, ClientHandshake::Status::kDone) << split;
    ASSERT_EQ(run.consumed, f.server.size()) << split;
    ASSERT_EQ(run.out, c2) << split;
  }
}

TEST(ClientHandshake, ByteByByteAndC2BeforeS2) {
  Fixture f;
  Bytes out;
  for (size_t i = 0; i < f.server.size(); ++i) {
    size_t consumed = 99;
    const auto status = f.client.feed(view(f.server, i, i + 1), &consumed, out, 42);
    ASSERT_EQ(consumed, 1u);
    // C2 is produced exactly when the last byte of S1 arrives, before any of S2.
    ASSERT_EQ(out.empty(), i < kHandshakeSize) << i;
    const bool last = i + 1 == f.server.size();
    ASSERT_EQ(status, last ? ClientHandshake::Status::kDone : ClientHandshake::Status::kNeedMore);
  }
  EXPECT_EQ(out, expected_c2(f.server, 42));
}

TEST(ClientHandshake, BytesAfterS2AreLeftUnconsumed) {
  Fixture f;
  Bytes input = f.server;
  const Bytes trailing{0x02, 0x00, 0x00, 0x00, 0xAB};
  put_bytes(input, trailing);
  for (size_t split = 0; split <= input.size(); ++split) {
    ClientHandshake client(f.c_random, 1000);
    Bytes out;
    size_t a = 0;
    size_t b = 0;
    client.feed(view(input, 0, split), &a, out);
    const auto status = client.feed(view(input, a), &b, out);
    ASSERT_EQ(status, ClientHandshake::Status::kDone) << split;
    ASSERT_EQ(a + b, f.server.size()) << split;
  }
}

TEST(ClientHandshake, FeedAfterDoneConsumesNothing) {
  Fixture f;
  size_t consumed = 0;
  Bytes out;
  ASSERT_EQ(f.client.feed(f.server, &consumed, out), ClientHandshake::Status::kDone);
  const Bytes more{1, 2, 3};
  EXPECT_EQ(f.client.feed(more, &consumed, out), ClientHandshake::Status::kDone);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(f.client.feed({}, &consumed, out), ClientHandshake::Status::kDone);
}

TEST(ClientHandshake, EmptyFeedNeedsMore) {
  Fixture f;
  size_t consumed = 5;
  Bytes out;
  EXPECT_EQ(f.client.feed({}, &consumed, out), ClientHandshake::Status::kNeedMore);
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(out.empty());
}

TEST(ClientHandshake, NullConsumedIsAllowed) {
  Fixture f;
  Bytes out;
  EXPECT_EQ(f.client.feed(f.server, nullptr, out), ClientHandshake::Status::kDone);
}

TEST(ClientHandshake, HttpServerVersionError) {
  Fixture f;
  const std::string reply = "HTTP/1.1 400 Bad Request\r\n\r\n";
  const Bytes input(reply.begin(), reply.end());
  size_t consumed = 0;
  Bytes out;
  EXPECT_EQ(f.client.feed(input, &consumed, out), ClientHandshake::Status::kError);
  EXPECT_EQ(consumed, 1u);
  EXPECT_TRUE(out.empty());
  EXPECT_EQ(f.client.error(),
            "server sent RTMP version 0x48 ('H'), expected 3 \u2014 is this an HTTP server?");
  // Sticky.
  EXPECT_EQ(f.client.feed(input, &consumed, out), ClientHandshake::Status::kError);
  EXPECT_EQ(consumed, 0u);
}

TEST(ClientHandshake, OtherVersionErrors) {
  struct Case {
    uint8_t byte;
    const char* text;
  };
  const Case cases[] = {
      {0x00, "server sent RTMP version 0x00, expected 3"},
      {0x16,
       "server sent RTMP version 0x16, expected 3 \u2014 this looks like a TLS handshake; "
       "use rtmps://"},
      {0x06,
       "server sent RTMP version 0x06, expected 3 \u2014 encrypted RTMP (RTMPE) is not "
       "supported"},
      {0xFF, "server sent RTMP version 0xFF, expected 3"},
  };
  for (const Case& c : cases) {
    ClientHandshake client(Bytes{}, 0);
    size_t consumed = 0;
    Bytes out;
    const Bytes in{c.byte, 3, 3};
    EXPECT_EQ(client.feed(in, &consumed, out), ClientHandshake::Status::kError);
    EXPECT_EQ(client.error(), c.text);
  }
}

TEST(ClientHandshake, NonEchoingS2IsAcceptedButReported) {
  Fixture f;
  f.server[1 + kHandshakeSize + 100] ^= 0xFF;  // inside S2's random part
  size_t consumed = 0;
  Bytes out;
  EXPECT_EQ(f.client.feed(f.server, &consumed, out), ClientHandshake::Status::kDone);
  EXPECT_FALSE(f.client.s2_echoes_c1());
}

TEST(ClientHandshake, S2TimeFieldsAreNotPartOfTheEchoCheck) {
  Fixture f;
  f.server[1 + kHandshakeSize + 0] ^= 0xFF;  // S2 time
  f.server[1 + kHandshakeSize + 7] ^= 0xFF;  // S2 time2
  size_t consumed = 0;
  Bytes out;
  EXPECT_EQ(f.client.feed(f.server, &consumed, out), ClientHandshake::Status::kDone);
  EXPECT_TRUE(f.client.s2_echoes_c1());
}

TEST(ServerHandshake, ProducesS0S1S2EchoingC1) {
  Fixture f;
  ServerHandshake server(f.s_random, 777);
  size_t consumed = 0;
  Bytes out;
  EXPECT_EQ(server.feed(f.c0c1, &consumed, out), ServerHandshake::Status::kNeedMore);
  EXPECT_EQ(consumed, f.c0c1.size());
  ASSERT_EQ(out.size(), 1 + 2 * kHandshakeSize);
  EXPECT_EQ(out[0], 3);
  EXPECT_EQ(get_u32be(&out[1]), 777u);
  EXPECT_EQ(get_u32be(&out[5]), 0u);
  EXPECT_EQ(Bytes(out.begin() + 9, out.begin() + 1 + kHandshakeSize), f.s_random);
  const size_t s2 = 1 + kHandshakeSize;
  EXPECT_EQ(get_u32be(&out[s2]), 1000u);  // C1's time
  EXPECT_EQ(Bytes(out.begin() + s2 + 8, out.end()), f.c_random);
}

TEST(ServerHandshake, WrongVersion) {
  ServerHandshake server(Bytes{}, 0);
  size_t consumed = 0;
  Bytes out;
  const Bytes in{'G', 'E', 'T'};
  EXPECT_EQ(server.feed(in, &consumed, out), ServerHandshake::Status::kError);
  EXPECT_EQ(server.error(),
            "client sent RTMP version 0x47 ('G'), expected 3 \u2014 is this an HTTP client?");
  EXPECT_TRUE(out.empty());
}

// Runs a full client <-> server exchange in memory, splitting the client->server bytes at
// `c_split` and the server->client bytes at `s_split`.
void run_exchange(size_t c_split, size_t s_split) {
  const Bytes c_random = pattern(kHandshakeRandomSize, 5);
  const Bytes s_random = pattern(kHandshakeRandomSize, 200);
  ClientHandshake client(c_random, 10);
  ServerHandshake server(s_random, 20);
  Bytes c2s;
  Bytes s2c;
  client.start(c2s);
  // Server gets the first part of C0+C1.
  size_t consumed = 0;
  c_split = std::min(c_split, c2s.size());
  ASSERT_EQ(server.feed(view(c2s, 0, c_split), &consumed, s2c), ServerHandshake::Status::kNeedMore);
  ASSERT_EQ(consumed, c_split);
  ASSERT_EQ(server.feed(view(c2s, c_split), &consumed, s2c), ServerHandshake::Status::kNeedMore);
  ASSERT_EQ(s2c.size(), 1 + 2 * kHandshakeSize);
  Bytes c2;
  size_t a = 0;
  size_t b = 0;
  client.feed(view(s2c, 0, s_split), &a, c2, 30);
  ASSERT_EQ(client.feed(view(s2c, a), &b, c2, 30), ClientHandshake::Status::kDone);
  ASSERT_EQ(a + b, s2c.size());
  ASSERT_TRUE(client.s2_echoes_c1());
  ASSERT_EQ(c2.size(), kHandshakeSize);
  ASSERT_EQ(get_u32be(&c2[0]), 20u);
  ASSERT_EQ(get_u32be(&c2[4]), 30u);
  // C2 split at the same point (mod its size) into the server.
  const size_t split2 = s_split % (c2.size() + 1);
  Bytes none;
  server.feed(view(c2, 0, split2), &a, none);
  ASSERT_EQ(server.feed(view(c2, a), &b, none), ServerHandshake::Status::kDone);
  ASSERT_EQ(a + b, c2.size());
  ASSERT_TRUE(server.c2_echoes_s1());
  ASSERT_TRUE(none.empty());
}

TEST(Handshake, ClientAgainstServerAllSplitsClientToServer) {
  for (size_t split = 0; split <= 1 + kHandshakeSize; ++split) {
    SCOPED_TRACE(split);
    run_exchange(split, 1500);
  }
}

TEST(Handshake, ClientAgainstServerAllSplitsServerToClient) {
  for (size_t split = 0; split <= 1 + 2 * kHandshakeSize; ++split) {
    SCOPED_TRACE(split);
    run_exchange(700, split);
  }
}

TEST(Handshake, ServerByteByByte) {
  Fixture f;
  ServerHandshake server(f.s_random, 1);
  Bytes out;
  for (size_t i = 0; i < f.c0c1.size(); ++i) {
    size_t consumed = 0;
    ASSERT_EQ(server.feed(view(f.c0c1, i, i + 1), &consumed, out),
              ServerHandshake::Status::kNeedMore);
    ASSERT_EQ(consumed, 1u);
    ASSERT_EQ(out.empty(), i + 1 < f.c0c1.size());
  }
  Bytes c2;
  size_t consumed = 0;
  ASSERT_EQ(f.client.feed(out, &consumed, c2), ClientHandshake::Status::kDone);
  Bytes tail = c2;
  tail.push_back(0xEE);  // the first chunk byte must stay unconsumed
  Bytes none;
  for (size_t i = 0; i < tail.size(); ++i) {
    const auto status = server.feed(view(tail, i, i + 1), &consumed, none);
    const bool past = i >= c2.size();
    ASSERT_EQ(consumed, past ? 0u : 1u);
    ASSERT_EQ(status, i + 1 >= c2.size() ? ServerHandshake::Status::kDone
                                         : ServerHandshake::Status::kNeedMore);
  }
}

}  // namespace
}  // namespace rtmp
