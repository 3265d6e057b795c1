#include "hash/md5.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

namespace rtmp {
namespace {

ByteView text(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

std::string hex(const Md5Digest& d) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : d) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

// RFC 1321, appendix A.5 test suite.
TEST(Md5, Rfc1321Suite) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "d41d8cd98f00b204e9800998ecf8427e"},
      {"a", "0cc175b9c0f1b6a831c399e269772661"},
      {"abc", "900150983cd24fb0d6963f7d28e17f72"},
      {"message digest", "f96b697d7cb7938d525a2f31aaf161d0"},
      {"abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"},
      {"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
       "d174ab98d277d9f5a5611c2c9f419d9f"},
      {"12345678901234567890123456789012345678901234567890123456789012345678901234567890",
       "57edf4a22be3c955ac49da2e2107b67a"},
  };
  for (const auto& [in, want] : cases) {
    EXPECT_EQ(hex(md5(text(in))), want) << in;
    EXPECT_EQ(md5_hex(in), want) << in;
  }
}

TEST(Md5, OneMillionA) {
  Md5 h;
  std::string block(1000, 'a');
  for (int i = 0; i < 1000; i++) h.update(block);
  EXPECT_EQ(hex(h.finish()), "7707d6ae4e027c70eea2a935c2296f21");
}

// Lengths around the padding boundaries (55, 56, 63, 64, 65 bytes), checked against Python's
// hashlib.md5.
TEST(Md5, PaddingBoundaries) {
  EXPECT_EQ(md5_hex(std::string(55, 'x')), "04364420e25c512fd958a70738aa8f72");
  EXPECT_EQ(md5_hex(std::string(56, 'x')), "668a72d5ba17f08e62dabcafad6db14b");
  EXPECT_EQ(md5_hex(std::string(63, 'x')), "7dc2ca208106a2f703567bdff99d8981");
  EXPECT_EQ(md5_hex(std::string(64, 'x')), "c1bb4f81d892b2d57947682aeb252456");
  EXPECT_EQ(md5_hex(std::string(65, 'x')), "1bc932052302d074bdec39795fe00cf6");
}

// Any split of the input gives the same digest as one update.
TEST(Md5, SplitAtEveryByte) {
  std::string msg;
  for (int i = 0; i < 200; i++) msg += static_cast<char>('A' + i % 57);
  const std::string want = md5_hex(msg);
  for (size_t cut = 0; cut <= msg.size(); cut++) {
    Md5 h;
    h.update(std::string_view(msg).substr(0, cut));
    h.update(std::string_view(msg).substr(cut));
    ASSERT_EQ(hex(h.finish()), want) << "cut at " << cut;
  }
  Md5 bytewise;
  for (char c : msg) bytewise.update(std::string_view(&c, 1));
  EXPECT_EQ(hex(bytewise.finish()), want);
}

TEST(Md5, FinishResetsForTheNextMessage) {
  Md5 h;
  h.update("abc");
  (void)h.finish();
  h.update("abc");
  EXPECT_EQ(hex(h.finish()), "900150983cd24fb0d6963f7d28e17f72");
}

}  // namespace
}  // namespace rtmp
