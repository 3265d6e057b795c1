// Authentication against a scripted server that checks the answers as FMS / Limelight / Wowza
// would: Adobe and Limelight challenge/response (reconnecting with the answer in app and tcUrl),
// SecureToken, refusals, and that the password never shows in any message.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_server.hpp"
#include "hash/md5.hpp"
#include "session/session.hpp"
#include "session_test_support.hpp"
#include "util/base64.hpp"

using namespace rtmpsession;
using fakertmp::FakeConnection;
using fakertmp::FakeRtmpServer;
using rtmp::amf0::Value;
using sessiontest::kPrompt;
using sessiontest::Recorder;
using sessiontest::Running;
using sessiontest::SteadyClock;
using sessiontest::TestConfig;

namespace {

constexpr char kUser[] = "alice";
constexpr char kPassword[] = "Pw-9f3Zq-unique-41";  // searched for in every message

TestConfig auth_config(uint16_t port, std::string authmod = "", std::string password = kPassword,
                       std::string app = "app") {
  TestConfig c;
  c.host = "127.0.0.1";
  c.port = port;
  c.application = app;
  c.stream = "stream";
  c.tc_url = "rtmp://127.0.0.1/" + app;
  c.timeout_ms = 5000;
  c.username = kUser;
  c.password = std::move(password);
  c.authmod = std::move(authmod);
  return c;
}

std::map<std::string, std::string> query_of(const std::string& app) {
  std::map<std::string, std::string> q;
  size_t at = app.find('?');
  if (at == std::string::npos) return q;
  std::string rest = app.substr(at + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t amp = rest.find('&', pos);
    std::string pair = rest.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    size_t eq = pair.find('=');
    if (eq != std::string::npos) q[pair.substr(0, eq)] = pair.substr(eq + 1);
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return q;
}

std::string b64md5(const std::string& s) {
  return rtmp::base64_encode(rtmp::md5(std::string_view(s)));
}

// What an Adobe server expects (written out here, independently of src/rtmp/auth.cpp).
std::string adobe_expected(const std::string& password, const std::string& salt,
                           const std::string& server_challenge, const std::string& c2) {
  return b64md5(b64md5(std::string(kUser) + salt + password) + server_challenge + c2);
}

std::string llnw_expected(const std::string& password, const std::string& nonce,
                          const std::string& cnonce, const std::string& nc) {
  std::string ha1 = rtmp::md5_hex(std::string(kUser) + ":live:" + password);
  std::string ha2 = rtmp::md5_hex("publish:/app/_definst_");
  return rtmp::md5_hex(ha1 + ":" + nonce + ":" + nc + ":" + cnonce + ":auth:" + ha2);
}

// A server requiring Adobe or Limelight authentication. Every connection's connect is
// recorded; the challenge values change with every connection, as a real server's do.
struct AuthServer {
  std::string method = "adobe";
  std::string password = kPassword;
  std::string challenge_override;   // sent instead of a well-formed challenge when set
  bool endless = false;             // answer every response with a new challenge
  bool drop_after_publish = false;  // first authenticated publisher: drop it mid-stream
  bool play = false;                // accept play instead of publish

  std::mutex mutex;
  std::vector<std::string> apps, tc_urls;
  std::vector<rtmp::Message> all_received;
  int accepted_publishers = 0;

  void operator()(FakeConnection& c) {
    int index;
    {
      std::lock_guard lock(mutex);
      index = static_cast<int>(apps.size());
    }
    if (!c.handshake()) return;
    auto connect = c.expect_command("connect", 5000);
    if (!connect) return;
    std::string app = connect->command_object.get_string("app").value_or("");
    {
      std::lock_guard lock(mutex);
      apps.push_back(app);
      tc_urls.push_back(connect->command_object.get_string("tcUrl").value_or(""));
    }
    if (answer(c, connect->transaction_id, query_of(app), index)) publish(c);
    std::lock_guard lock(mutex);
    all_received.insert(all_received.end(), c.received().begin(), c.received().end());
  }

  void reject(FakeConnection& c, double txn, const std::string& description) {
    c.reply_error(txn, "NetConnection.Connect.Rejected", description);
    c.read_until_closed(2000);
  }

  // True when the connection is accepted.
  bool answer(FakeConnection& c, double txn, const std::map<std::string, std::string>& q,
              int index) {
    const std::string head = "[ AccessManager.Reject ] : [ authmod=" + method + " ] : ";
    if (!q.count("authmod")) {
      reject(c, txn,
             "[ AccessManager.Reject ] : [ code=403 need auth; authmod=" + method + " ] : ");
      return false;
    }
    std::string salt = "c2FsdA" + std::to_string(index), nonce = "N0nce" + std::to_string(index);
    std::string challenge = "Y2hhbA" + std::to_string(index);
    if (!q.count("response") || endless) {
      if (!challenge_override.empty())
        reject(c, txn, head + challenge_override);
      else if (method == "adobe")
        reject(c, txn,
               head + "?reason=needauth&user=" + q.at("user") + "&salt=" + salt +
                   "&challenge=" + challenge + "&opaque=" + challenge);
      else
        reject(c, txn, head + "?reason=needauth&user=" + q.at("user") + "&nonce=" + nonce);
      return false;
    }
    // The response answers the previous connection's challenge.
    std::string prev = std::to_string(index - 1);
    bool ok = q.at("user") == kUser &&
              (method == "adobe"
                   ? q.count("opaque") && q.at("opaque") == "Y2hhbA" + prev &&
                         q.at("response") == adobe_expected(password, "c2FsdA" + prev,
                                                            "Y2hhbA" + prev, q.at("challenge"))
                   : q.count("nonce") && q.at("nonce") == "N0nce" + prev &&
                         q.at("response") ==
                             llnw_expected(password, "N0nce" + prev, q.at("cnonce"), q.at("nc")));
    if (!ok) {
      reject(c, txn, head + "?reason=authfailed&opaque=" + challenge);
      return false;
    }
    Value props = Value::Object({{"fmsVer", Value::String("FMS/3,5,7,7009")}});
    Value info = Value::Object({{"level", Value::String("status")},
                                {"code", Value::String("NetConnection.Connect.Success")}});
    return c.send_command("_result", txn, props, {info});
  }

  void publish(FakeConnection& c) {
    if (!c.answer_create_stream() || !(play ? c.accept_play() : c.accept_publish())) return;
    bool drop;
    {
      std::lock_guard lock(mutex);
      drop = drop_after_publish && accepted_publishers == 0;
      accepted_publishers++;
    }
    if (drop) {
      c.abort();
      return;
    }
    c.read_until_closed(-1);
  }

  std::vector<std::string> connect_apps() {
    std::lock_guard lock(mutex);
    return apps;
  }
};

void expect_no_password(Recorder& r) {
  for (const auto& t : r.texts()) EXPECT_EQ(t.find(kPassword), std::string::npos) << t;
}

}  // namespace

TEST(SessionAuth, AdobeAnswersTheChallengeAndPublishes) {
  AuthServer auth;
  FakeRtmpServer server(std::ref(auth));
  Running r(auth_config(server.port()));
  ASSERT_TRUE(r.recorder.wait_state(State::kPublishing)) << r.recorder.error().message;
  auto apps = auth.connect_apps();
  ASSERT_EQ(apps.size(), 3u);
  EXPECT_EQ(apps[0], "app");
  EXPECT_EQ(apps[1], "app?authmod=adobe&user=alice");
  auto q = query_of(apps[2]);
  EXPECT_EQ(apps[2].rfind("app?authmod=adobe&user=alice&challenge=", 0), 0u) << apps[2];
  EXPECT_EQ(q["opaque"], "Y2hhbA1");
  EXPECT_EQ(q["challenge"].size(), 8u);
  {
    std::lock_guard lock(auth.mutex);
    EXPECT_EQ(auth.tc_urls[2], "rtmp://127.0.0.1/" + apps[2]);  // the same query on tcUrl
  }
  // Answering a challenge is neither an outage nor a reconnection attempt.
  SessionStats s = r.session.stats();
  EXPECT_EQ(s.reconnects, 0u);
  EXPECT_EQ(s.attempt, 1u);
  auto states = r.recorder.states();
  EXPECT_EQ(std::count(states.begin(), states.end(), State::kReconnecting), 0);
}

TEST(SessionAuth, PlayerAuthenticatesToo) {
  AuthServer auth;
  auth.play = true;
  FakeRtmpServer server(std::ref(auth));
  TestConfig c = auth_config(server.port());
  c.role = Role::kPlay;
  Running r(std::move(c));
  ASSERT_TRUE(r.recorder.wait_state(State::kPlaying)) << r.recorder.error().message;
  EXPECT_EQ(auth.connect_apps().size(), 3u);
}

TEST(SessionAuth, AdobeWrongPasswordFailsWithTheServersReason) {
  AuthServer auth;
  auth.password = "something-else";
  FakeRtmpServer server(std::ref(auth));
  Running r(auth_config(server.port()));
  r.join();
  SessionError e = r.recorder.error();
  EXPECT_EQ(e.kind, ErrorKind::kAuthFailed);
  EXPECT_NE(e.message.find("reason=authfailed"), std::string::npos) << e.message;
  EXPECT_EQ(e.server_code, "NetConnection.Connect.Rejected");
  EXPECT_EQ(auth.connect_apps().size(), 3u);
  expect_no_password(r.recorder);
}

TEST(SessionAuth, MalformedChallengesFailCleanly) {
  for (std::string bad : {"?reason=needauth&user=alice&challenge=abc",  // no salt
                          "?reason=needauth&\x01\x02\xff garbage",
                          "?reason=needauth&salt=&challenge=&opaque=", "garbage"}) {
    AuthServer auth;
    auth.challenge_override = bad;
    FakeRtmpServer server(std::ref(auth));
    Running r(auth_config(server.port()));
    r.join();
    SessionError e = r.recorder.error();
    EXPECT_EQ(e.kind, ErrorKind::kAuthFailed) << bad;
    EXPECT_NE(e.message.find("malformed authentication challenge"), std::string::npos) << e.message;
    expect_no_password(r.recorder);
  }
}

TEST(SessionAuth, EndlessChallengesStopAfterThreeRounds) {
  AuthServer auth;
  auth.endless = true;
  FakeRtmpServer server(std::ref(auth));
  Running r(auth_config(server.port()));
  r.join();
  SessionError e = r.recorder.error();
  EXPECT_EQ(e.kind, ErrorKind::kAuthFailed);
  EXPECT_NE(e.message.find("after 3 attempts"), std::string::npos) << e.message;
  EXPECT_EQ(auth.connect_apps().size(), 4u);  // the first connect and three answers
}

TEST(SessionAuth, LlnwAnswersTheNonceAndPublishes) {
  AuthServer auth;
  auth.method = "llnw";
  FakeRtmpServer server(std::ref(auth));
  Running r(auth_config(server.port(), "llnw"));
  ASSERT_TRUE(r.recorder.wait_state(State::kPublishing)) << r.recorder.error().message;
  auto apps = auth.connect_apps();
  ASSERT_EQ(apps.size(), 3u);
  EXPECT_EQ(apps[1], "app?authmod=llnw&user=alice");
  auto q = query_of(apps[2]);
  EXPECT_EQ(q["nonce"], "N0nce1");
  EXPECT_EQ(q["nc"], "00000001");
  EXPECT_EQ(q["cnonce"].size(), 8u);
}

TEST(SessionAuth, LlnwWrongPassword) {
  AuthServer auth;
  auth.method = "llnw";
  auth.password = "not-it";
  FakeRtmpServer server(std::ref(auth));
  Running r(auth_config(server.port()));
  r.join();
  SessionError e = r.recorder.error();
  EXPECT_EQ(e.kind, ErrorKind::kAuthFailed);
  EXPECT_NE(e.message.find("authmod=llnw"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("reason=authfailed"), std::string::npos) << e.message;
  expect_no_password(r.recorder);
}

TEST(SessionAuth, AuthmodNoneRefusesAChallenge) {
  AuthServer auth;
  FakeRtmpServer server(std::ref(auth));
  Running r(auth_config(server.port(), "none"));
  r.join();
  SessionError e = r.recorder.error();
  EXPECT_EQ(e.kind, ErrorKind::kAuthFailed);
  EXPECT_NE(e.message.find("authmod is none"), std::string::npos) << e.message;
  EXPECT_EQ(auth.connect_apps().size(), 1u);
}

TEST(SessionAuth, AuthmodOtherThanTheServersIsRefused) {
  AuthServer auth;
  FakeRtmpServer server(std::ref(auth));
  Running r(auth_config(server.port(), "llnw"));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kAuthFailed);
  EXPECT_NE(r.recorder.error().message.find("authmod=adobe, but authmod is llnw"),
            std::string::npos);
  EXPECT_EQ(auth.connect_apps().size(), 1u);
}

TEST(SessionAuth, NoCredentialsWithAChallenge) {
  AuthServer auth;
  FakeRtmpServer server(std::ref(auth));
  TestConfig c = auth_config(server.port());
  c.username.clear();
  c.password.clear();
  Running r(std::move(c));
  r.join();
  SessionError e = r.recorder.error();
  EXPECT_EQ(e.kind, ErrorKind::kAuthFailed);
  EXPECT_EQ(e.message, "server requires authentication (authmod=adobe): set username and password");
  EXPECT_EQ(auth.connect_apps().size(), 1u);
}

TEST(SessionAuth, PasswordNeverSentOrShown) {
  AuthServer auth;
  FakeRtmpServer server(std::ref(auth));
  {
    Running r(auth_config(server.port()));
    ASSERT_TRUE(r.recorder.wait_state(State::kPublishing));
    r.session.cancel();
    r.join();
    expect_no_password(r.recorder);
  }
  server.stop();
  std::string password(kPassword);
  std::lock_guard lock(auth.mutex);
  ASSERT_FALSE(auth.all_received.empty());
  for (const auto& m : auth.all_received) {
    std::string payload(m.payload.begin(), m.payload.end());
    EXPECT_EQ(payload.find(password), std::string::npos) << "password sent in the clear";
  }
}

// After a network reconnection the challenge is answered afresh (the server's new challenge),
// not with the answer to the old one.
TEST(SessionAuth, ReconnectionAuthenticatesAgain) {
  AuthServer auth;
  auth.drop_after_publish = true;
  FakeRtmpServer server(std::ref(auth));
  TestConfig c = auth_config(server.port());
  c.reconnect_attempts = 3;
  c.reconnect_delay_ms = 10;
  Running r(std::move(c));
  auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  while (r.session.stats().reconnects < 1 && SteadyClock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_EQ(r.session.stats().reconnects, 1u) << r.recorder.error().message;
  EXPECT_EQ(r.session.state(), State::kPublishing);
  auto apps = auth.connect_apps();
  ASSERT_EQ(apps.size(), 6u);
  EXPECT_EQ(apps[3], "app");
  EXPECT_EQ(apps[4], "app?authmod=adobe&user=alice");
  EXPECT_EQ(query_of(apps[5])["opaque"], "Y2hhbA4");
}

TEST(SessionAuth, CancelDuringTheExchangeIsPrompt) {
  std::atomic<int> connections{0};
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.handshake()) return;
    auto connect = c.expect_command("connect", 5000);
    if (!connect) return;
    if (connections++ == 0)
      c.reply_error(connect->transaction_id, "NetConnection.Connect.Rejected",
                    "[ code=403 need auth; authmod=adobe ]");
    c.stall_until_closed();  // the second connect gets no answer
  });
  Running r(auth_config(server.port()));
  auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  while (connections.load() < 2 && SteadyClock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_EQ(connections.load(), 2);
  auto start = SteadyClock::now();
  r.session.cancel();
  r.join();
  EXPECT_LT(SteadyClock::now() - start, std::chrono::seconds(1));
}

// SecureToken: the server puts a TEA-encrypted token in connect's _result and checks the
// secureTokenResponse, which must come before createStream.
TEST(SessionAuth, SecureTokenAnsweredBeforeCreateStream) {
  // "a1b2c3d4e5f6" XXTEA-encrypted with "mysharedsecret" (computed once with Python).
  std::atomic<bool> verified{false};
  std::mutex mutex;
  std::vector<std::string> order;
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.handshake()) return;
    auto connect = c.expect_command("connect", 5000);
    if (!connect) return;
    Value info = Value::Object({{"level", Value::String("status")},
                                {"code", Value::String("NetConnection.Connect.Success")},
                                {"secureToken", Value::String("a469b70ab6d2d4913d100670")}});
    c.send_command("_result", connect->transaction_id, Value::Null(), {info});
    for (;;) {
      auto m = c.read_message(5000);
      if (!m) return;
      if (m->type != 20) continue;
      auto cmd = rtmp::commands::parse_command(m->payload, nullptr);
      if (!cmd) return;
      {
        std::lock_guard lock(mutex);
        order.push_back(cmd->name);
      }
      if (cmd->name == "secureTokenResponse")
        verified = cmd->arguments.size() == 1 && cmd->arguments[0].string() == "a1b2c3d4e5f6";
      if (cmd->name == "createStream") {
        if (!verified) return;  // a real server drops a client that did not answer
        c.reply_result(cmd->transaction_id, {Value::Number(1)});
        if (c.accept_publish()) c.read_until_closed(-1);
        return;
      }
    }
  });
  TestConfig cfg = auth_config(server.port());
  cfg.username.clear();
  cfg.password.clear();
  cfg.secure_token = "mysharedsecret";
  Running r(std::move(cfg));
  ASSERT_TRUE(r.recorder.wait_state(State::kPublishing)) << r.recorder.error().message;
  EXPECT_TRUE(verified.load());
  std::lock_guard lock(mutex);
  ASSERT_GE(order.size(), 2u);
  EXPECT_EQ(order[0], "secureTokenResponse");
}

TEST(SessionAuth, MalformedSecureTokenFails) {
  FakeRtmpServer server([&](FakeConnection& c) {
    if (!c.handshake()) return;
    auto connect = c.expect_command("connect", 5000);
    if (!connect) return;
    Value info = Value::Object({{"code", Value::String("NetConnection.Connect.Success")},
                                {"secureToken", Value::String("not hex at all")}});
    c.send_command("_result", connect->transaction_id, Value::Null(), {info});
    c.read_until_closed(5000);
  });
  TestConfig cfg = auth_config(server.port());
  cfg.secure_token = "mysharedsecret";
  Running r(std::move(cfg));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kAuthFailed);
  EXPECT_NE(r.recorder.error().message.find("malformed SecureToken"), std::string::npos);
  expect_no_password(r.recorder);
}
