#include "hash/sha256.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <string_view>

namespace rtmp {
namespace {

ByteView text(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
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

// FIPS 180-4 examples (the NIST "SHA-256 example" vectors).
TEST(Sha256, Empty) {
  EXPECT_EQ(hex(sha256({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Sha256, Abc) {
  EXPECT_EQ(hex(sha256(text("abc"))),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Sha256, TwoBlockMessage448Bits) {
  EXPECT_EQ(hex(sha256(text("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

TEST(Sha256, Message896Bits) {
  EXPECT_EQ(
      hex(sha256(text("abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmno"
                      "pjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu"))),
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
}

TEST(Sha256, OneMillionA) {
  const std::string million(1000000, 'a');
  EXPECT_EQ(hex(sha256(text(million))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, OneMillionAIncrementalInOddPieces) {
  const std::string piece(997, 'a');
  Sha256 hash;
  size_t left = 1000000;
  while (left > 0) {
    const size_t n = std::min(left, piece.size());
    hash.update(text(std::string_view(piece).substr(0, n)));
    left -= n;
  }
  EXPECT_EQ(hex(hash.finish()), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, IncrementalMatchesOneShotAtEverySplitAndPaddingBoundary) {
  // Lengths around the 55/56/64-byte padding edges, split at every position.
  std::string message;
  for (size_t len = 0; len <= 130; ++len) {
    const Sha256Digest whole = sha256(text(message));
    for (size_t split = 0; split <= len; ++split) {
      Sha256 hash;
      hash.update(text(std::string_view(message).substr(0, split)));
      hash.update(text(std::string_view(message).substr(split)));
      ASSERT_EQ(hash.finish(), whole) << "len " << len << " split " << split;
    }
    message += static_cast<char>('A' + len % 26);
  }
}

TEST(Sha256, FinishResetsForReuse) {
  Sha256 hash;
  hash.update(text("garbage"));
  (void)hash.finish();
  hash.update(text("abc"));
  EXPECT_EQ(hex(hash.finish()), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// RFC 4231 test cases.
TEST(HmacSha256, Rfc4231Case1) {
  const Bytes key(20, 0x0b);
  EXPECT_EQ(hex(hmac_sha256(key, text("Hi There"))),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(HmacSha256, Rfc4231Case2ShortKey) {
  EXPECT_EQ(hex(hmac_sha256(text("Jefe"), text("what do ya want for nothing?"))),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(HmacSha256, Rfc4231Case3) {
  const Bytes key(20, 0xaa);
  const Bytes data(50, 0xdd);
  EXPECT_EQ(hex(hmac_sha256(key, data)),
            "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
}

TEST(HmacSha256, Rfc4231Case4) {
  Bytes key;
  for (uint8_t i = 1; i <= 25; ++i) key.push_back(i);
  const Bytes data(50, 0xcd);
  EXPECT_EQ(hex(hmac_sha256(key, data)),
            "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
}

TEST(HmacSha256, Rfc4231Case5Truncated) {
  const Bytes key(20, 0x0c);
  const Sha256Digest mac = hmac_sha256(key, text("Test With Truncation"));
  EXPECT_EQ(hex(ByteView(mac).first(16)), "a3b6167473100ee06e0c796c2955552b");
}

TEST(HmacSha256, Rfc4231Case6KeyLargerThanBlock) {
  const Bytes key(131, 0xaa);
  EXPECT_EQ(hex(hmac_sha256(key, text("Test Using Larger Than Block-Size Key - Hash Key First"))),
            "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(HmacSha256, Rfc4231Case7KeyAndDataLargerThanBlock) {
  const Bytes key(131, 0xaa);
  EXPECT_EQ(hex(hmac_sha256(key, text("This is a test using a larger than block-size key and a "
                                      "larger than block-size data. The key needs to be hashed "
                                      "before being used by the HMAC algorithm."))),
            "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST(HmacSha256, KeyOfExactlyOneBlockIsNotHashed) {
  // A 64-byte key is used as is; a 65-byte key is hashed first, so they differ.
  const Bytes key64(64, 0x42);
  const Bytes key65(65, 0x42);
  EXPECT_NE(hmac_sha256(key64, text("x")), hmac_sha256(key65, text("x")));
  // Zero-padding: a key and the same key with trailing zeros up to the block are equivalent.
  Bytes short_key{1, 2, 3};
  Bytes padded = short_key;
  padded.resize(64, 0);
  EXPECT_EQ(hmac_sha256(short_key, text("x")), hmac_sha256(padded, text("x")));
}

}  // namespace
}  // namespace rtmp
