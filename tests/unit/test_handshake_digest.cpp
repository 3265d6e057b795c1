#include "rtmp/handshake_digest.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "rtmp/handshake.hpp"

namespace rtmp {
namespace {

Bytes pattern(size_t n, uint8_t seed) {
  Bytes b(n);
  for (size_t i = 0; i < n; ++i) b[i] = static_cast<uint8_t>(seed + i * 7 + (i >> 8));
  return b;
}

std::string hex(ByteView bytes) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

ByteView slice(const Bytes& b, size_t from, size_t len) {
  return ByteView(b).subspan(from, len);
}

const Bytes kClientRandom = pattern(kHandshakeRandomSize, 11);
const Bytes kServerRandom = pattern(kHandshakeRandomSize, 99);
constexpr uint32_t kClientEpoch = 1000;
constexpr uint32_t kServerEpoch = 5000;
constexpr uint32_t kNow = 77;

// How a byte stream is cut into feed() calls: the piece boundaries (strictly inside the stream).
using Cuts = std::vector<size_t>;

Cuts bytewise(size_t size) {
  Cuts cuts;
  for (size_t i = 1; i < size; ++i) cuts.push_back(i);
  return cuts;
}

// Feeds `in` to `hs` in the pieces given by `cuts`, checking every piece is consumed whole (the
// streams here end exactly where the handshake does). Returns the last status.
template <typename Handshake, typename... Extra>
typename Handshake::Status feed_in_pieces(Handshake& hs, const Bytes& in, const Cuts& cuts,
                                          Bytes& out, Extra... extra) {
  typename Handshake::Status status = Handshake::Status::kNeedMore;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(in.size());
  for (size_t end : ends) {
    size_t consumed = 0;
    status = hs.feed(slice(in, from, end - from), &consumed, out, extra...);
    EXPECT_EQ(consumed, end - from) << "piece " << from << ".." << end;
    from = end;
  }
  return status;
}

struct Exchange {
  Bytes c0c1;
  Bytes s0s1s2;
  Bytes c2;
  ClientHandshake::Status client_status = ClientHandshake::Status::kNeedMore;
  ServerHandshake::Status server_status = ServerHandshake::Status::kNeedMore;
};

// Runs a whole handshake in memory: client start, server reads C0+C1 (cut by `c_cuts`), client
// reads S0+S1+S2 (cut by `s_cuts`), server reads C2 (cut by `c2_cuts`).
template <typename Client, typename Server>
Exchange run(Client& client, Server& server, const Cuts& c_cuts = {}, const Cuts& s_cuts = {},
             const Cuts& c2_cuts = {}) {
  Exchange ex;
  client.start(ex.c0c1);
  EXPECT_EQ(ex.c0c1.size(), 1 + kHandshakeSize);
  ex.server_status = feed_in_pieces(server, ex.c0c1, c_cuts, ex.s0s1s2);
  EXPECT_EQ(ex.server_status, Server::Status::kNeedMore);
  EXPECT_EQ(ex.s0s1s2.size(), 1 + 2 * kHandshakeSize);
  ex.client_status = feed_in_pieces(client, ex.s0s1s2, s_cuts, ex.c2, kNow);
  EXPECT_EQ(ex.c2.size(), kHandshakeSize);
  ex.server_status = feed_in_pieces(server, ex.c2, c2_cuts, ex.s0s1s2);
  return ex;
}

// --- keys and packet pieces ---

TEST(DigestKeys, AreTextPlusTheSharedTail) {
  const ByteView fp = flash_player_key();
  const ByteView fms = flash_media_server_key();
  ASSERT_EQ(fp.size(), 62u);
  ASSERT_EQ(fms.size(), 68u);
  EXPECT_EQ(std::string(fp.begin(), fp.begin() + kFlashPlayerKeyTextSize),
            "Genuine Adobe Flash Player 001");
  EXPECT_EQ(std::string(fms.begin(), fms.begin() + kFlashMediaServerKeyTextSize),
            "Genuine Adobe Flash Media Server 001");
  EXPECT_TRUE(std::equal(fp.begin() + 30, fp.end(), fms.begin() + 36, fms.end()));
  EXPECT_EQ(fp[30], 0xF0);
  EXPECT_EQ(fp[61], 0xAE);
}

TEST(DigestOffset, SchemesUseTheirFourBytesModulo728) {
  Bytes packet(kHandshakeSize, 0);
  EXPECT_EQ(digest_offset(packet, 0), 12u);
  EXPECT_EQ(digest_offset(packet, 1), 776u);
  packet[8] = packet[9] = packet[10] = packet[11] = 255;  // 1020 % 728 = 292
  EXPECT_EQ(digest_offset(packet, 0), 12u + 292);
  packet[772] = 1;
  packet[773] = 2;
  packet[774] = 3;
  packet[775] = 4;
  EXPECT_EQ(digest_offset(packet, 1), 786u);
  packet[772] = packet[773] = packet[774] = packet[775] = 183;  // 732 % 728 = 4
  EXPECT_EQ(digest_offset(packet, 1), 776u + 4);
  // The largest offsets keep the digest inside its half.
  packet[8] = packet[9] = packet[10] = 181;
  packet[11] = 184;  // 727
  EXPECT_EQ(digest_offset(packet, 0) + kHandshakeDigestSize, 771u);
  packet[772] = packet[773] = packet[774] = 181;
  packet[775] = 184;
  EXPECT_EQ(digest_offset(packet, 1) + kHandshakeDigestSize, kHandshakeSize - 1);
}

TEST(DigestPackets, ShortPacketsAreRejected) {
  const Bytes c1 = make_client_c1(kClientRandom, kClientEpoch, 0);
  const Bytes short_c1(c1.begin(), c1.end() - 1);
  EXPECT_EQ(digest_offset(short_c1, 0), 0u);
  EXPECT_FALSE(find_client_digest(short_c1));
  EXPECT_FALSE(find_client_digest(Bytes{}));
  EXPECT_FALSE(verify_packet_digest(c1, 2, flash_player_key().first(30)));
  EXPECT_FALSE(verify_server_s2(Bytes(kHandshakeSize - 1, 0), c1, 0));
  EXPECT_FALSE(verify_server_s2(Bytes(kHandshakeSize, 0), short_c1, 0));
  EXPECT_TRUE(make_client_c2(short_c1, 0, 0).empty());
  EXPECT_TRUE(make_server_s2(short_c1, 0, 0).empty());
}

// Known answers computed independently (Python hmac/hashlib) from the layout description.
struct KnownAnswer {
  int scheme;
  size_t c1_offset;
  const char* c1_digest;
  size_t s1_offset;
  const char* s1_digest;
  const char* c2_digest;
  const char* s2_digest;
};

const KnownAnswer kKnownAnswers[] = {
    {0, 98, "67574fe86ae4b4722cb93c2af10bdc62af2b3eb0cd48ee83e6a89ce5577bc176", 450,
     "1e7e8503a727db34d3fe0c152e8cd827888c92057a1eaa959d6ae34f78ee9ece",
     "8ec70bca380f992bc6f35c7693fecb9a4926aaf91a74c5142b4872f80bb6ee72",
     "3795c56e05c422ca6e390d767ed7f9b3c32e02184c93fe3fe5a690deb811b0ff"},
    {1, 798, "109d71f2015a0a873d86f4319a8afc31d3eb300a22381b1717b344a083772abf", 1110,
     "e01ca620754878cf76b7a3337e877fa38c5fc67f843e4bd67449c1f3c2fc167b",
     "99267dd9a305b6750e48dd0b6da891bbb8ac91913dc9034dc33adf6a0426f5b8",
     "f12acad0cfb81bbd5c63ac39931968503f3a958e1dac362537a378b5b63ffe0e"},
};

TEST(DigestPackets, KnownAnswers) {
  for (const KnownAnswer& ka : kKnownAnswers) {
    SCOPED_TRACE(ka.scheme);
    const Bytes c1 = make_client_c1(kClientRandom, kClientEpoch, ka.scheme);
    ASSERT_EQ(c1.size(), kHandshakeSize);
    EXPECT_EQ(digest_offset(c1, ka.scheme), ka.c1_offset);
    EXPECT_EQ(hex(slice(c1, ka.c1_offset, 32)), ka.c1_digest);
    EXPECT_EQ(hex(packet_digest(c1, ka.scheme)), ka.c1_digest);

    const Bytes s1 = make_server_s1(kServerRandom, kServerEpoch, ka.scheme);
    EXPECT_EQ(digest_offset(s1, ka.scheme), ka.s1_offset);
    EXPECT_EQ(hex(slice(s1, ka.s1_offset, 32)), ka.s1_digest);

    const Bytes c2 = make_client_c2(s1, ka.scheme, kNow);
    ASSERT_EQ(c2.size(), kHandshakeSize);
    EXPECT_EQ(hex(slice(c2, 1504, 32)), ka.c2_digest);
    EXPECT_EQ(get_u32be(&c2[0]), kServerEpoch);
    EXPECT_EQ(get_u32be(&c2[4]), kNow);
    EXPECT_TRUE(std::equal(c2.begin() + 8, c2.begin() + 1504, s1.begin() + 8));

    const Bytes s2 = make_server_s2(c1, ka.scheme, kServerEpoch);
    EXPECT_EQ(hex(slice(s2, 1504, 32)), ka.s2_digest);
  }
}

TEST(DigestPackets, ClientC1Layout) {
  for (int scheme : {0, 1}) {
    const Bytes c1 = make_client_c1(kClientRandom, 0xAABBCCDD, scheme);
    ASSERT_EQ(c1.size(), kHandshakeSize);
    EXPECT_EQ(get_u32be(&c1[0]), 0xAABBCCDDu);
    EXPECT_EQ(get_u32be(&c1[4]), kDigestClientVersion);
    const size_t offset = digest_offset(c1, scheme);
    for (size_t i = 8; i < kHandshakeSize; ++i) {
      if (i >= offset && i < offset + 32) continue;
      ASSERT_EQ(c1[i], kClientRandom[i - 8]) << i;
    }
    EXPECT_EQ(find_client_digest(c1), scheme);
    EXPECT_FALSE(verify_packet_digest(c1, 1 - scheme, flash_player_key().first(30)));
    // The client digest is not a server digest.
    EXPECT_FALSE(find_server_digest(c1));
  }
}

TEST(DigestPackets, ServerS1Layout) {
  for (int scheme : {0, 1}) {
    const Bytes s1 = make_server_s1(kServerRandom, kServerEpoch, scheme);
    EXPECT_EQ(get_u32be(&s1[0]), kServerEpoch);
    EXPECT_NE(get_u32be(&s1[4]), 0u);
    EXPECT_EQ(find_server_digest(s1), scheme);
    EXPECT_FALSE(find_client_digest(s1));
  }
}

TEST(DigestPackets, ShortRandomIsZeroPadded) {
  const Bytes c1 = make_client_c1(Bytes{1, 2, 3}, 0, 0);
  ASSERT_EQ(c1.size(), kHandshakeSize);
  EXPECT_EQ(c1[8], 1);
  EXPECT_EQ(c1[10], 3);
  EXPECT_EQ(find_client_digest(c1), 0);
}

TEST(DigestPackets, ResponsesVerifyAndDetectTampering) {
  for (int scheme : {0, 1}) {
    const Bytes c1 = make_client_c1(kClientRandom, kClientEpoch, scheme);
    const Bytes s1 = make_server_s1(kServerRandom, kServerEpoch, scheme);
    Bytes c2 = make_client_c2(s1, scheme, kNow);
    Bytes s2 = make_server_s2(c1, scheme, kServerEpoch);
    EXPECT_TRUE(verify_client_c2(c2, s1, scheme));
    EXPECT_TRUE(verify_server_s2(s2, c1, scheme));
    EXPECT_FALSE(verify_client_c2(c2, s1, 1 - scheme));
    EXPECT_FALSE(verify_server_s2(s2, c1, 1 - scheme));
    // Keys are not interchangeable.
    EXPECT_FALSE(verify_digest_response(c2, packet_digest(s1, scheme), flash_media_server_key()));
    for (size_t at : {size_t{0}, size_t{700}, size_t{1503}, size_t{1504}, size_t{1535}}) {
      Bytes bad = s2;
      bad[at] ^= 0x01;
      EXPECT_FALSE(verify_server_s2(bad, c1, scheme)) << at;
      bad = c2;
      bad[at] ^= 0x80;
      EXPECT_FALSE(verify_client_c2(bad, s1, scheme)) << at;
    }
  }
}

TEST(DigestPackets, GenericResponseZeroPadsBody) {
  const Sha256Digest peer = sha256(Bytes{1, 2, 3});
  const Bytes packet = make_digest_response(Bytes{9, 9}, peer, flash_player_key());
  ASSERT_EQ(packet.size(), kHandshakeSize);
  EXPECT_EQ(packet[0], 9);
  EXPECT_EQ(packet[2], 0);
  EXPECT_TRUE(verify_digest_response(packet, peer, flash_player_key()));
}

// --- state machines ---

void expect_full_digest_success(const ClientHandshake& client, const ServerHandshake& server,
                                const Exchange& ex, int scheme) {
  EXPECT_EQ(ex.client_status, ClientHandshake::Status::kDone);
  EXPECT_EQ(ex.server_status, ServerHandshake::Status::kDone);
  EXPECT_TRUE(client.server_digest_valid());
  EXPECT_EQ(client.server_digest_scheme(), scheme);
  EXPECT_TRUE(client.s2_digest_valid());
  EXPECT_FALSE(client.s2_echoes_c1());
  EXPECT_TRUE(server.client_digest_valid());
  EXPECT_EQ(server.client_digest_scheme(), scheme);
  EXPECT_TRUE(server.c2_digest_valid());
  EXPECT_FALSE(server.c2_echoes_s1());
}

TEST(DigestHandshake, StartWritesC0AndDigestC1) {
  ClientHandshake client(kClientRandom, kClientEpoch, true, 1);
  Bytes out{0x77};  // appends
  client.start(out);
  ASSERT_EQ(out.size(), 2 + kHandshakeSize);
  EXPECT_EQ(out[0], 0x77);
  EXPECT_EQ(out[1], kRtmpVersion);
  EXPECT_EQ(Bytes(out.begin() + 2, out.end()), make_client_c1(kClientRandom, kClientEpoch, 1));
  EXPECT_EQ(client.c1(), make_client_c1(kClientRandom, kClientEpoch, 1));
}

TEST(DigestHandshake, BothSchemesWhole) {
  for (int scheme : {0, 1}) {
    SCOPED_TRACE(scheme);
    ClientHandshake client(kClientRandom, kClientEpoch, true, scheme);
    ServerHandshake server(kServerRandom, kServerEpoch, true);
    const Exchange ex = run(client, server);
    expect_full_digest_success(client, server, ex, scheme);
    // The server answered in the client's scheme, and C2/S2 are what the packet functions give.
    const Bytes s1(ex.s0s1s2.begin() + 1, ex.s0s1s2.begin() + 1 + kHandshakeSize);
    EXPECT_EQ(s1, make_server_s1(kServerRandom, kServerEpoch, scheme));
    EXPECT_EQ(ex.c2, make_client_c2(s1, scheme, kNow));
    EXPECT_EQ(Bytes(ex.s0s1s2.begin() + 1 + kHandshakeSize, ex.s0s1s2.end()),
              make_server_s2(client.c1(), scheme, kServerEpoch));
  }
}

TEST(DigestHandshake, InvalidSchemeArgumentFallsBackToZero) {
  ClientHandshake client(kClientRandom, kClientEpoch, true, 7);
  EXPECT_EQ(find_client_digest(client.c1()), 0);
}

TEST(DigestHandshake, ServerStreamSplitAtEveryByteBoundary) {
  for (int scheme : {0, 1}) {
    for (size_t cut = 1; cut < 1 + 2 * kHandshakeSize; ++cut) {
      ClientHandshake client(kClientRandom, kClientEpoch, true, scheme);
      ServerHandshake server(kServerRandom, kServerEpoch, true);
      const Exchange ex = run(client, server, {}, {cut});
      ASSERT_EQ(ex.client_status, ClientHandshake::Status::kDone) << cut;
      ASSERT_TRUE(client.s2_digest_valid()) << cut;
      ASSERT_TRUE(server.c2_digest_valid()) << cut;
    }
  }
}

TEST(DigestHandshake, ClientStreamSplitAtEveryByteBoundary) {
  for (int scheme : {0, 1}) {
    for (size_t cut = 1; cut < 1 + kHandshakeSize; ++cut) {
      ClientHandshake client(kClientRandom, kClientEpoch, true, scheme);
      ServerHandshake server(kServerRandom, kServerEpoch, true);
      const size_t c2_cut = std::min(cut, kHandshakeSize - 1);
      const Exchange ex = run(client, server, {cut}, {}, {c2_cut});
      ASSERT_EQ(ex.server_status, ServerHandshake::Status::kDone) << cut;
      ASSERT_TRUE(server.client_digest_valid()) << cut;
      ASSERT_TRUE(server.c2_digest_valid()) << cut;
      ASSERT_TRUE(client.s2_digest_valid()) << cut;
    }
  }
}

TEST(DigestHandshake, ByteByByteBothDirections) {
  for (int scheme : {0, 1}) {
    ClientHandshake client(kClientRandom, kClientEpoch, true, scheme);
    ServerHandshake server(kServerRandom, kServerEpoch, true);
    const Exchange ex = run(client, server, bytewise(1 + kHandshakeSize),
                            bytewise(1 + 2 * kHandshakeSize), bytewise(kHandshakeSize));
    expect_full_digest_success(client, server, ex, scheme);
  }
}

TEST(DigestHandshake, C2IsWrittenWhenS1CompletesBeforeS2) {
  ClientHandshake client(kClientRandom, kClientEpoch, true, 0);
  ServerHandshake server(kServerRandom, kServerEpoch, true);
  Bytes c0c1, s_out, c2;
  client.start(c0c1);
  size_t consumed = 0;
  server.feed(c0c1, &consumed, s_out);
  for (size_t i = 0; i < s_out.size(); ++i) {
    const auto status = client.feed(slice(s_out, i, 1), &consumed, c2, kNow);
    ASSERT_EQ(consumed, 1u);
    ASSERT_EQ(c2.size(), i < kHandshakeSize ? 0u : kHandshakeSize) << i;
    ASSERT_EQ(status, i + 1 == s_out.size() ? ClientHandshake::Status::kDone
                                            : ClientHandshake::Status::kNeedMore);
  }
}

TEST(DigestHandshake, BytesAfterS2AreLeftAndDoneIsSticky) {
  ClientHandshake client(kClientRandom, kClientEpoch, true, 0);
  ServerHandshake server(kServerRandom, kServerEpoch, true);
  Bytes c0c1, s_out, c2;
  client.start(c0c1);
  size_t consumed = 0;
  server.feed(c0c1, &consumed, s_out);
  s_out.push_back(0x02);  // start of the chunk stream
  s_out.push_back(0x00);
  EXPECT_EQ(client.feed(s_out, &consumed, c2, kNow), ClientHandshake::Status::kDone);
  EXPECT_EQ(consumed, 1 + 2 * kHandshakeSize);
  EXPECT_EQ(client.feed(Bytes{1, 2, 3}, &consumed, c2, kNow), ClientHandshake::Status::kDone);
  EXPECT_EQ(consumed, 0u);
  EXPECT_EQ(c2.size(), kHandshakeSize);

  // Same for the server with bytes after C2.
  c2.push_back(0x03);
  EXPECT_EQ(server.feed(c2, &consumed, s_out), ServerHandshake::Status::kDone);
  EXPECT_EQ(consumed, kHandshakeSize);
  EXPECT_TRUE(server.c2_digest_valid());
}

TEST(DigestHandshake, BadS0IsAStickyError) {
  ClientHandshake client(kClientRandom, kClientEpoch, true, 0);
  Bytes c0c1, out;
  client.start(c0c1);
  size_t consumed = 0;
  EXPECT_EQ(client.feed(Bytes{0x16, 0x03}, &consumed, out), ClientHandshake::Status::kError);
  EXPECT_EQ(consumed, 1u);
  EXPECT_NE(client.error().find("TLS"), std::string::npos);
  EXPECT_EQ(client.feed(Bytes{3}, &consumed, out), ClientHandshake::Status::kError);
  EXPECT_EQ(consumed, 0u);
  EXPECT_TRUE(out.empty());
}

TEST(DigestHandshake, BadC0IsAServerError) {
  ServerHandshake server(kServerRandom, kServerEpoch, true);
  Bytes out;
  size_t consumed = 0;
  EXPECT_EQ(server.feed(Bytes{'G', 'E', 'T'}, &consumed, out), ServerHandshake::Status::kError);
  EXPECT_EQ(consumed, 1u);
  EXPECT_FALSE(server.error().empty());
  EXPECT_TRUE(out.empty());
}

TEST(DigestHandshake, TamperedS1DigestFallsBackToPlainC2) {
  for (int scheme : {0, 1}) {
    // Once on the digest itself, once on a signed byte elsewhere.
    for (bool on_digest : {true, false}) {
      SCOPED_TRACE(std::to_string(scheme) + (on_digest ? " digest" : " body"));
      ClientHandshake client(kClientRandom, kClientEpoch, true, scheme);
      ServerHandshake server(kServerRandom, kServerEpoch, true);
      Bytes c0c1, s_out, c2;
      client.start(c0c1);
      size_t consumed = 0;
      server.feed(c0c1, &consumed, s_out);
      const Bytes s1_packet(s_out.begin() + 1, s_out.begin() + 1 + kHandshakeSize);
      const size_t at =
          on_digest ? 1 + digest_offset(s1_packet, scheme) + 5 : 1 + 1400 - scheme * 1000;
      s_out[at] ^= 0x20;
      const Bytes tampered_s1(s_out.begin() + 1, s_out.begin() + 1 + kHandshakeSize);

      EXPECT_EQ(client.feed(s_out, &consumed, c2, kNow), ClientHandshake::Status::kDone);
      EXPECT_FALSE(client.server_digest_valid());
      EXPECT_FALSE(client.server_digest_scheme());
      EXPECT_FALSE(client.s2_digest_valid());  // not checked without a valid S1 digest
      // C2 is the plain echo of (the tampered) S1.
      ASSERT_EQ(c2.size(), kHandshakeSize);
      EXPECT_EQ(get_u32be(&c2[0]), kServerEpoch);
      EXPECT_EQ(get_u32be(&c2[4]), kNow);
      EXPECT_TRUE(std::equal(c2.begin() + 8, c2.end(), tampered_s1.begin() + 8));

      Bytes ignored;
      EXPECT_EQ(server.feed(c2, &consumed, ignored), ServerHandshake::Status::kDone);
      EXPECT_FALSE(server.c2_digest_valid());
    }
  }
}

TEST(DigestHandshake, TamperedS2IsReported) {
  for (size_t at : {size_t{9}, size_t{1000}, size_t{1530}}) {
    ClientHandshake client(kClientRandom, kClientEpoch, true, 0);
    ServerHandshake server(kServerRandom, kServerEpoch, true);
    Bytes c0c1, s_out, c2;
    client.start(c0c1);
    size_t consumed = 0;
    server.feed(c0c1, &consumed, s_out);
    s_out[1 + kHandshakeSize + at] ^= 0x01;
    EXPECT_EQ(client.feed(s_out, &consumed, c2, kNow), ClientHandshake::Status::kDone);
    EXPECT_TRUE(client.server_digest_valid());
    EXPECT_FALSE(client.s2_digest_valid()) << at;
  }
}

TEST(DigestHandshake, TamperedC2IsReportedByServer) {
  ClientHandshake client(kClientRandom, kClientEpoch, true, 1);
  ServerHandshake server(kServerRandom, kServerEpoch, true);
  Bytes c0c1, s_out, c2;
  client.start(c0c1);
  size_t consumed = 0;
  server.feed(c0c1, &consumed, s_out);
  client.feed(s_out, &consumed, c2, kNow);
  c2[100] ^= 0x04;
  EXPECT_EQ(server.feed(c2, &consumed, s_out), ServerHandshake::Status::kDone);
  EXPECT_TRUE(server.client_digest_valid());
  EXPECT_FALSE(server.c2_digest_valid());
}

TEST(DigestHandshake, DigestClientAgainstPlainServer) {
  for (int scheme : {0, 1}) {
    for (bool bytewise_feed : {false, true}) {
      ClientHandshake client(kClientRandom, kClientEpoch, true, scheme);
      ServerHandshake server(kServerRandom, kServerEpoch);
      const Exchange ex = bytewise_feed
                              ? run(client, server, bytewise(1 + kHandshakeSize),
                                    bytewise(1 + 2 * kHandshakeSize), bytewise(kHandshakeSize))
                              : run(client, server);
      EXPECT_EQ(ex.client_status, ClientHandshake::Status::kDone);
      EXPECT_EQ(ex.server_status, ServerHandshake::Status::kDone);
      EXPECT_FALSE(client.server_digest_valid());
      EXPECT_FALSE(client.s2_digest_valid());
      EXPECT_TRUE(client.s2_echoes_c1());
      EXPECT_TRUE(server.c2_echoes_s1());
    }
  }
}

TEST(DigestHandshake, PlainClientAgainstDigestServer) {
  for (bool bytewise_feed : {false, true}) {
    ClientHandshake client(kClientRandom, kClientEpoch);
    ServerHandshake server(kServerRandom, kServerEpoch, true);
    const Exchange ex = bytewise_feed
                            ? run(client, server, bytewise(1 + kHandshakeSize),
                                  bytewise(1 + 2 * kHandshakeSize), bytewise(kHandshakeSize))
                            : run(client, server);
    EXPECT_EQ(ex.client_status, ClientHandshake::Status::kDone);
    EXPECT_EQ(ex.server_status, ServerHandshake::Status::kDone);
    EXPECT_TRUE(client.s2_echoes_c1());
    EXPECT_FALSE(server.client_digest_valid());
    EXPECT_FALSE(server.c2_digest_valid());
    EXPECT_TRUE(server.c2_echoes_s1());
  }
}

TEST(DigestHandshake, VersionZeroC1WithoutDigestIsPlain) {
  // A plain C1 (version 0) that happens to be fed to the digest server: S2 is the echo.
  ServerHandshake server(kServerRandom, kServerEpoch, true);
  Bytes c0c1{3};
  put_u32be(c0c1, 42);
  put_u32be(c0c1, 0);
  put_bytes(c0c1, kClientRandom);
  Bytes out;
  size_t consumed = 0;
  EXPECT_EQ(server.feed(c0c1, &consumed, out), ServerHandshake::Status::kNeedMore);
  ASSERT_EQ(out.size(), 1 + 2 * kHandshakeSize);
  const size_t s2 = 1 + kHandshakeSize;
  EXPECT_EQ(get_u32be(&out[s2]), 42u);
  EXPECT_EQ(get_u32be(&out[s2 + 4]), kServerEpoch);
  EXPECT_TRUE(std::equal(out.begin() + static_cast<std::ptrdiff_t>(s2 + 8), out.end(),
                         kClientRandom.begin()));
}

}  // namespace
}  // namespace rtmp

namespace rtmp {
namespace {

// Plain mode (what HandshakeMode::kPlain uses): a plain C1, and even a digest S1 gets a plain
// echo as C2 (S1's time, our time, S1's bytes 8..), built here independently of the class.
TEST(ClientHandshakePlainMode, AnswersADigestServerWithAPlainEcho) {
  Bytes random(1528, 0x21);
  ClientHandshake plain(random, 77, false);
  Bytes c0c1;
  plain.start(c0c1);
  Bytes expected_c0c1{kRtmpVersion};
  const Bytes c1 = make_plain_packet(77, random);
  expected_c0c1.insert(expected_c0c1.end(), c1.begin(), c1.end());
  EXPECT_EQ(c0c1, expected_c0c1);

  size_t used = 0;
  Bytes s0s1s2;  // from a digest server
  ServerHandshake server(Bytes(1528, 0x42), 5, true);
  server.feed(c0c1, &used, s0s1s2);
  ASSERT_EQ(s0s1s2.size(), 1 + 2 * kHandshakeSize);
  const ByteView s1 = ByteView(s0s1s2).subspan(1, kHandshakeSize);
  ASSERT_TRUE(find_server_digest(s1).has_value());
  Bytes c2;
  EXPECT_EQ(plain.feed(s0s1s2, &used, c2, 9), ClientHandshake::Status::kDone);
  Bytes expected_c2(s1.begin(), s1.begin() + 4);
  put_u32be(expected_c2, 9);
  expected_c2.insert(expected_c2.end(), s1.begin() + 8, s1.end());
  EXPECT_EQ(c2, expected_c2);
  EXPECT_FALSE(plain.server_digest_valid());
  EXPECT_FALSE(plain.s2_digest_valid());
}

}  // namespace
}  // namespace rtmp
