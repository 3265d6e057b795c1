// Adobe / Limelight authentication and SecureToken. Expected hashes were computed once with
// Python's hashlib/base64 and a straightforward XXTEA encryption (see each test) and pasted here.
#include "rtmp/auth.hpp"

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "util/base64.hpp"

namespace rtmp::auth {
namespace {

using K = Rejection::Kind;

constexpr std::string_view kAdobeNeedAuth =
    "[ AccessManager.Reject ] : [ code=403 need auth; authmod=adobe ] : ";
constexpr std::string_view kAdobeChallenge =
    "[ AccessManager.Reject ] : [ authmod=adobe ] : "
    "?reason=needauth&user=alice&salt=Kq9f2Q==&challenge=8Zk1fQ==&opaque=8Zk1fQ==";
constexpr std::string_view kLlnwChallenge =
    "[ AccessManager.Reject ] : [ authmod=llnw ] : ?reason=needauth&user=alice&nonce=NONCE123";

ByteView text(std::string_view s) {
  return ByteView(reinterpret_cast<const uint8_t*>(s.data()), s.size());
}

TEST(Base64, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(text("")), "");
  EXPECT_EQ(base64_encode(text("f")), "Zg==");
  EXPECT_EQ(base64_encode(text("fo")), "Zm8=");
  EXPECT_EQ(base64_encode(text("foo")), "Zm9v");
  EXPECT_EQ(base64_encode(text("foob")), "Zm9vYg==");
  EXPECT_EQ(base64_encode(text("fooba")), "Zm9vYmE=");
  EXPECT_EQ(base64_encode(text("foobar")), "Zm9vYmFy");
  const uint8_t high[] = {0xfb, 0xff, 0xbf};
  EXPECT_EQ(base64_encode(high), "+/+/");
}

TEST(AuthParse, OrdinaryRejectionIsNotAuth) {
  EXPECT_EQ(parse_rejection("").kind, K::kNotAuth);
  EXPECT_EQ(parse_rejection("Connection rejected: application not found").kind, K::kNotAuth);
}

TEST(AuthParse, NeedAuth) {
  Rejection r = parse_rejection(kAdobeNeedAuth);
  EXPECT_EQ(r.kind, K::kNeedAuth);
  EXPECT_EQ(r.method, Method::kAdobe);
  r = parse_rejection("[ AccessManager.Reject ] : [ code=403 need auth; authmod=llnw ] : ");
  EXPECT_EQ(r.kind, K::kNeedAuth);
  EXPECT_EQ(r.method, Method::kLlnw);
}

TEST(AuthParse, AdobeChallenge) {
  Rejection r = parse_rejection(kAdobeChallenge);
  ASSERT_EQ(r.kind, K::kChallenge);
  EXPECT_EQ(r.method, Method::kAdobe);
  EXPECT_EQ(r.salt, "Kq9f2Q==");
  EXPECT_EQ(r.challenge, "8Zk1fQ==");
  EXPECT_EQ(r.opaque, "8Zk1fQ==");
}

TEST(AuthParse, AdobeChallengeWithoutOpaque) {
  Rejection r = parse_rejection("[ authmod=adobe ] : ?reason=needauth&salt=abc&challenge=xyz");
  ASSERT_EQ(r.kind, K::kChallenge);
  EXPECT_EQ(r.challenge, "xyz");
  EXPECT_FALSE(r.opaque.has_value());
}

TEST(AuthParse, LlnwChallenge) {
  Rejection r = parse_rejection(kLlnwChallenge);
  ASSERT_EQ(r.kind, K::kChallenge);
  EXPECT_EQ(r.method, Method::kLlnw);
  EXPECT_EQ(r.nonce, "NONCE123");
}

TEST(AuthParse, FailureReasons) {
  Rejection r = parse_rejection("[ authmod=adobe ] : ?reason=authfailed&opaque=x");
  EXPECT_EQ(r.kind, K::kFailed);
  EXPECT_EQ(r.reason, "authfailed");
  r = parse_rejection("[ authmod=adobe ] : ?reason=nosuchuser&opaque=x");
  EXPECT_EQ(r.kind, K::kFailed);
  EXPECT_EQ(r.reason, "nosuchuser");
  r = parse_rejection("[ authmod=llnw ] : ?reason=<script>&x");
  EXPECT_EQ(r.kind, K::kFailed);
  EXPECT_EQ(r.reason, "script");  // only harmless characters are kept
}

TEST(AuthParse, UnsupportedMethod) {
  Rejection r = parse_rejection("[ code=403 need auth; authmod=kerberos ]");
  EXPECT_EQ(r.kind, K::kUnsupported);
  EXPECT_EQ(r.authmod, "kerberos");
}

TEST(AuthParse, MalformedChallenges) {
  // No salt, empty salt, neither challenge nor opaque, no nonce, a value with a control
  // character, no reason and no "need auth".
  for (std::string_view d : {
           "[ authmod=adobe ] : ?reason=needauth&challenge=x&opaque=y",
           "[ authmod=adobe ] : ?reason=needauth&salt=&challenge=x",
           "[ authmod=adobe ] : ?reason=needauth&salt=s",
           "[ authmod=llnw ] : ?reason=needauth&user=u",
           "[ authmod=adobe ] : ?reason=needauth&salt=a\x01&challenge=x",
           "[ authmod=adobe ] : garbage",
       }) {
    EXPECT_EQ(parse_rejection(d).kind, K::kMalformed) << d;
  }
  std::string long_salt =
      "[ authmod=adobe ] ?reason=needauth&challenge=c&salt=" + std::string(1000, 's');
  EXPECT_EQ(parse_rejection(long_salt).kind, K::kMalformed);
}

TEST(AuthParse, QueryEndsAtABlank) {
  Rejection r = parse_rejection("[ authmod=adobe ] ?reason=needauth&salt=s&challenge=c trailing");
  ASSERT_EQ(r.kind, K::kChallenge);
  EXPECT_EQ(r.challenge, "c");
}

// The parser takes whole descriptions; every prefix of a challenge (a description cut at any
// byte) is either recognised consistently or refused, and never yields a challenge whose
// values are not a prefix-free copy of the original ones.
TEST(AuthParse, EveryPrefixOfAChallenge) {
  for (std::string_view full : {kAdobeNeedAuth, kAdobeChallenge, kLlnwChallenge}) {
    for (size_t cut = 0; cut <= full.size(); cut++) {
      Rejection r = parse_rejection(full.substr(0, cut));
      if (r.kind == K::kChallenge && r.method == Method::kAdobe) {
        EXPECT_FALSE(r.salt.empty());
        EXPECT_TRUE(r.challenge || r.opaque);
      }
      if (r.kind == K::kChallenge && r.method == Method::kLlnw) {
        EXPECT_FALSE(r.nonce.empty());
      }
    }
    EXPECT_NE(parse_rejection(full).kind, K::kMalformed);
  }
}

TEST(AuthParse, EveryByteValueAtEveryPosition) {
  std::string d(kAdobeChallenge);
  for (size_t i = 0; i < d.size(); i++) {
    for (int b = 0; b < 256; b += 7) {
      std::string m = d;
      m[i] = static_cast<char>(b);
      Rejection r = parse_rejection(m);
      if (r.kind == K::kChallenge) {
        for (char c : r.salt) EXPECT_TRUE(c > 0x20 && c < 0x7f);
      }
    }
  }
}

// Python: base64(md5(base64(md5(user+salt+password)) + server_challenge + c2))
TEST(AuthResponse, AdobeKnownAnswers) {
  EXPECT_EQ(adobe_response("alice", "s3cret", "Kq9f2Q==", "8Zk1fQ==", "1a2b3c4d"),
            "p3Ob1l5gstzCeY2LGDX1aA==");
  EXPECT_EQ(adobe_response("bob", "pa ss:w0rd", "salty", "opaque42", "deadbeef"),
            "TsfiD3DKh8Y3WPJwbPwZNA==");
}

// Python: md5hex(md5hex(user:live:pw):nonce:00000001:cnonce:auth:md5hex(publish:/app[/_definst_]))
TEST(AuthResponse, LlnwKnownAnswers) {
  EXPECT_EQ(llnw_response("alice", "s3cret", "live", "NONCE123", "0000abcd"),
            "24c185b5c81b0f9a93e1299c9edfbf9e");
  EXPECT_EQ(llnw_response("alice", "s3cret", "live/inst", "NONCE123", "0000abcd"),
            "039274c33422f2c603bbf4bd8314b35d");
}

TEST(AuthResponse, ClientNonceIsEightHexDigits) {
  EXPECT_EQ(client_nonce(0x1a2b3c4d), "1a2b3c4d");
  EXPECT_EQ(client_nonce(0xabcd), "0000abcd");
}

TEST(AuthQuery, Initial) {
  EXPECT_EQ(initial_query(Method::kAdobe, "alice"), "?authmod=adobe&user=alice");
  EXPECT_EQ(initial_query(Method::kLlnw, "a&b=c d"), "?authmod=llnw&user=a%26b%3Dc%20d");
}

TEST(AuthQuery, AdobeUsesOpaqueAndEchoesIt) {
  Rejection r = parse_rejection(kAdobeChallenge);
  EXPECT_EQ(adobe_query("alice", "s3cret", r, 0x1a2b3c4d),
            "?authmod=adobe&user=alice&challenge=1a2b3c4d&response=p3Ob1l5gstzCeY2LGDX1aA=="
            "&opaque=8Zk1fQ==");
}

TEST(AuthQuery, AdobeWithoutOpaqueUsesTheChallenge) {
  Rejection r = parse_rejection("[ authmod=adobe ] ?reason=needauth&salt=salty&challenge=opaque42");
  EXPECT_EQ(adobe_query("bob", "pa ss:w0rd", r, 0xdeadbeef),
            "?authmod=adobe&user=bob&challenge=deadbeef&response=TsfiD3DKh8Y3WPJwbPwZNA==");
}

TEST(AuthQuery, Llnw) {
  Rejection r = parse_rejection(kLlnwChallenge);
  EXPECT_EQ(llnw_query("alice", "s3cret", "live", r, 0xabcd),
            "?authmod=llnw&user=alice&nonce=NONCE123&cnonce=0000abcd&nc=00000001"
            "&response=24c185b5c81b0f9a93e1299c9edfbf9e");
}

constexpr char kPassword[] = "Pw-unique-7731";

Negotiator negotiator(std::string authmod = "", std::string user = "alice",
                      std::string password = kPassword) {
  return Negotiator(Credentials{std::move(user), std::move(password), std::move(authmod)});
}

TEST(AuthNegotiator, AdobeRoundTrips) {
  Negotiator n = negotiator();
  Step s = n.on_rejection(parse_rejection(kAdobeNeedAuth), "app", 1);
  ASSERT_EQ(s.action, Step::Action::kReconnect);
  EXPECT_EQ(s.query, "?authmod=adobe&user=alice");
  s = n.on_rejection(parse_rejection(kAdobeChallenge), "app", 0x1a2b3c4d);
  ASSERT_EQ(s.action, Step::Action::kReconnect);
  EXPECT_EQ(s.query.rfind("?authmod=adobe&user=alice&challenge=1a2b3c4d&response=", 0), 0u);
  EXPECT_EQ(n.rounds(), 2);
  s = n.on_rejection(parse_rejection("[ authmod=adobe ] : ?reason=authfailed&opaque=x"), "app", 2);
  ASSERT_EQ(s.action, Step::Action::kFail);
  EXPECT_NE(s.message.find("authfailed"), std::string::npos);
}

TEST(AuthNegotiator, AtMostThreeRoundsThenReset) {
  Negotiator n = negotiator("adobe");
  for (int i = 0; i < Negotiator::kMaxRounds; i++)
    ASSERT_EQ(n.on_rejection(parse_rejection(kAdobeChallenge), "app", 1).action,
              Step::Action::kReconnect);
  Step s = n.on_rejection(parse_rejection(kAdobeChallenge), "app", 1);
  EXPECT_EQ(s.action, Step::Action::kFail);
  EXPECT_NE(s.message.find("3 attempts"), std::string::npos);
  n.reset();
  EXPECT_EQ(n.on_rejection(parse_rejection(kAdobeNeedAuth), "app", 1).action,
            Step::Action::kReconnect);
}

TEST(AuthNegotiator, Refusals) {
  struct Case {
    Negotiator n;
    std::string_view description;
    std::string_view expected;
  } cases[] = {
      {negotiator("none"), kAdobeNeedAuth, "but authmod is none"},
      {negotiator("", ""), kAdobeNeedAuth,
       "server requires authentication (authmod=adobe): set username and password"},
      {negotiator("", "alice", ""), kLlnwChallenge, "set username and password"},
      {negotiator("llnw"), kAdobeNeedAuth, "server requires authmod=adobe, but authmod is llnw"},
      {negotiator(), "[ authmod=kerberos ] code=403 need auth", "not supported (authmod=kerberos)"},
      {negotiator(), "[ authmod=adobe ] ?reason=needauth&challenge=x",
       "malformed authentication challenge"},
      {negotiator(), "[ authmod=adobe ] ?reason=nosuchuser", "unknown user name"},
  };
  for (auto& c : cases) {
    Step s = c.n.on_rejection(parse_rejection(c.description), "app", 1);
    EXPECT_EQ(s.action, Step::Action::kFail) << c.description;
    EXPECT_NE(s.message.find(c.expected), std::string::npos) << s.message;
    EXPECT_EQ(s.message.find(kPassword), std::string::npos) << s.message;
  }
}

// Python: XXTEA-encrypt (the reference algorithm) of the plaintext, zero-padded to whole
// words, with the key's first 16 bytes zero-padded, hex of the little-endian words.
TEST(SecureToken, DecodesWhatXxteaEncrypted) {
  EXPECT_EQ(decode_secure_token("mysharedsecret", "a469b70ab6d2d4913d100670"), "a1b2c3d4e5f6");
  EXPECT_EQ(decode_secure_token("averylongsharedsecretkey", "97822208da161c40"),
            std::string("token\0\0\0", 8));
  EXPECT_EQ(decode_secure_token("0123456789abcdefXYZ",
                                "a5f1e7f188886a71e75c68e1c15cf032f0326bba84ca78e98d7d9c1b316e3885"),
            std::string("a secure token of some length!\0\0", 32));
  EXPECT_EQ(decode_secure_token("mysharedsecret", "A469B70AB6D2D4913D100670"), "a1b2c3d4e5f6");
}

// A single word is not invertible by XXTEA's decryption loop; librtmp decodes it anyway. The
// expected bytes come from a Python transcription of librtmp's DecodeTEA.
TEST(SecureToken, SingleWordAsLibrtmpDecodesIt) {
  EXPECT_EQ(decode_secure_token("k", "3c5b9364"), std::string("\x60\x24\x96\xab", 4));
}

TEST(SecureToken, RefusesWhatIsNotWholeWordsOfHex) {
  EXPECT_FALSE(decode_secure_token("k", ""));
  EXPECT_FALSE(decode_secure_token("k", "3c5b93"));
  EXPECT_FALSE(decode_secure_token("k", "3c5b936g"));
  EXPECT_FALSE(decode_secure_token("k", std::string(16384, '0')));
}

}  // namespace
}  // namespace rtmp::auth
