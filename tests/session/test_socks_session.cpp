// The session through a SOCKS proxy: a scripted in-process SOCKS peer that answers as told
// (never, with a refusal, with a rejected password) or relays to the fake RTMP server.
// Cancellation during the negotiation, its timeout, error kinds and messages, and that the
// proxy password appears in no message.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "fake_server.hpp"
#include "session/session.hpp"
#include "session_test_support.hpp"
#include "transport/socks_transport.hpp"

using namespace rtmpsession;
using fakertmp::FakeConnection;
using fakertmp::FakeRtmpServer;
using Bytes = std::vector<uint8_t>;
using sessiontest::kPrompt;
using sessiontest::Recorder;
using sessiontest::refused_port;
using sessiontest::Running;
using sessiontest::SteadyClock;
using sessiontest::TestConfig;

namespace {

constexpr char kPassword[] = "Proxy-pw-7Qx-unique";  // searched for in every message

TestConfig config_via(const std::string& proxy, uint32_t timeout_ms = 5000,
                      std::string host = "rtmp.invalid") {
  TestConfig c;
  c.host = std::move(host);  // never resolved here: the proxy gets the name
  c.port = 1935;
  c.application = "app";
  c.stream = "stream";
  c.tc_url = "rtmp://" + c.host + "/app";
  c.timeout_ms = timeout_ms;
  c.proxy = proxy;
  return c;
}

// ---- A scripted SOCKS peer ------------------------------------------------------------------

// One accepted connection; every blocking call ends on a timeout or when the peer stops.
class ProxyConn {
 public:
  ProxyConn(int fd, const std::atomic<bool>& stopping) : fd_(fd), stopping_(stopping) {}
  int fd() const { return fd_; }
  bool stopping() const { return stopping_; }
  // Exactly n bytes, or an empty result on EOF, timeout or stop.
  Bytes read(size_t n, int timeout_ms = 5000) {
    Bytes out;
    auto deadline = SteadyClock::now() + std::chrono::milliseconds(timeout_ms);
    while (out.size() < n && wait(POLLIN, deadline)) {
      uint8_t buf[512];
      ssize_t got = recv(fd_, buf, std::min(sizeof buf, n - out.size()), 0);
      if (got <= 0) return {};
      out.insert(out.end(), buf, buf + got);
    }
    return out.size() == n ? out : Bytes{};
  }
  bool write(const Bytes& b) {
    return send(fd_, b.data(), b.size(), MSG_NOSIGNAL) == ssize_t(b.size());
  }
  // Reads until the peer closes or the proxy stops.
  void drain() {
    while (wait(POLLIN, SteadyClock::now() + std::chrono::hours(1))) {
      uint8_t buf[512];
      if (recv(fd_, buf, sizeof buf, 0) <= 0) return;
    }
  }
  bool wait(short events, SteadyClock::time_point deadline) {
    while (!stopping_ && SteadyClock::now() < deadline) {
      pollfd p{fd_, events, 0};
      if (poll(&p, 1, 20) > 0) return true;
    }
    return false;
  }

 private:
  int fd_;
  const std::atomic<bool>& stopping_;
};

class ScriptedProxy {
 public:
  using Handler = std::function<void(ProxyConn&)>;
  explicit ScriptedProxy(Handler handler) : handler_(std::move(handler)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(listen_fd_, 8);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~ScriptedProxy() {
    stopping_ = true;
    thread_.join();
    close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  std::string url(const std::string& scheme, const std::string& userinfo = "") const {
    return scheme + "://" + userinfo + "127.0.0.1:" + std::to_string(port_);
  }
  int accepted() const { return accepted_; }

 private:
  // One connection at a time is enough for these tests.
  void serve() {
    while (!stopping_) {
      pollfd p{listen_fd_, POLLIN, 0};
      if (poll(&p, 1, 20) <= 0) continue;
      int fd = accept(listen_fd_, nullptr, nullptr);
      if (fd < 0) continue;
      accepted_++;
      ProxyConn conn(fd, stopping_);
      handler_(conn);
      close(fd);
    }
  }

  Handler handler_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stopping_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

// Copies bytes both ways between the client and a TCP connection to 127.0.0.1:port until one
// side closes or the proxy stops.
void relay(ProxyConn& client, uint16_t port) {
  int up = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(port);
  bool open = connect(up, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  pollfd p[2] = {{client.fd(), POLLIN, 0}, {up, POLLIN, 0}};
  while (open && !client.stopping()) {
    if (poll(p, 2, 20) <= 0) continue;
    for (int i = 0; i < 2 && open; i++) {
      if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      uint8_t buf[4096];
      ssize_t n = recv(p[i].fd, buf, sizeof buf, 0);
      open = n > 0 && send(p[1 - i].fd, buf, size_t(n), MSG_NOSIGNAL) == n;
    }
  }
  close(up);
}

// SOCKS5 server side: the greeting, then (when offered and `password` is set) RFC 1929.
// Returns the CONNECT request, or empty when the client went away or failed authentication.
Bytes socks5_accept(ProxyConn& c, const std::string& password, Bytes* auth = nullptr) {
  Bytes head = c.read(2);
  if (head.size() != 2) return {};
  Bytes methods = c.read(head[1]);
  bool want_auth = !password.empty();
  c.write({5, uint8_t(want_auth ? 2 : 0)});
  if (want_auth) {
    Bytes a = c.read(2);
    if (a.size() != 2) return {};
    Bytes user = c.read(a[1]);
    Bytes plen = c.read(1);
    Bytes pass = plen.empty() ? Bytes{} : c.read(plen[0]);
    if (auth) *auth = pass;
    bool ok = std::string(pass.begin(), pass.end()) == password;
    c.write({1, uint8_t(ok ? 0 : 1)});
    if (!ok) return {};
  }
  Bytes req = c.read(5);
  if (req.size() != 5 || req[3] != 3) return req;
  Bytes rest = c.read(size_t{req[4]} + 2);
  req.insert(req.end(), rest.begin(), rest.end());
  return req;
}

const Bytes kGranted = {5, 0, 0, 1, 127, 0, 0, 1, 0x04, 0x38};

bool contains(const std::vector<std::string>& texts, const std::string& what) {
  return std::any_of(texts.begin(), texts.end(),
                     [&](const std::string& t) { return t.find(what) != std::string::npos; });
}

}  // namespace

// ---- The layer over a scripted inner transport ------------------------------------------------

// Takes at most `chunk` bytes per write and blocks every other call; reads give the scripted
// pieces one per call, blocking in between; then end of stream (or blocks for ever).
class ScriptedInner : public Transport {
 public:
  explicit ScriptedInner(std::vector<Bytes> pieces, bool close_at_end = false)
      : pieces_(std::move(pieces)), close_at_end_(close_at_end) {}
  IoResult establish() override { return IoResult::ok(0); }
  std::string establishing_what() const override { return "nothing"; }
  IoResult read(uint8_t* data, size_t size) override {
    if ((block_read_ = !block_read_)) return IoResult::would_block();
    if (next_ == pieces_.size())
      return close_at_end_ ? IoResult::closed() : IoResult::would_block();
    Bytes& p = pieces_[next_];
    size_t n = std::min(size, p.size());
    std::copy(p.begin(), p.begin() + ptrdiff_t(n), data);
    p.erase(p.begin(), p.begin() + ptrdiff_t(n));
    if (p.empty()) next_++;
    return IoResult::ok(n);
  }
  IoResult write(const GOutputVector* v, size_t count) override {
    if ((block_write_ = !block_write_)) return IoResult::would_block();
    if (count == 0 || v[0].size == 0) return IoResult::ok(0);
    size_t n = std::min<size_t>(chunk_, v[0].size);
    auto* p = static_cast<const uint8_t*>(v[0].buffer);
    sent_.insert(sent_.end(), p, p + n);
    return IoResult::ok(n);
  }
  void shutdown_write() override {}
  uint64_t buffered_output() const override { return 0; }
  GSocket* socket() const override { return nullptr; }
  std::string describe() const override { return "tcp"; }
  const Bytes& sent() const { return sent_; }

 private:
  std::vector<Bytes> pieces_;
  bool close_at_end_;
  size_t next_ = 0;
  size_t chunk_ = 2;
  bool block_read_ = false;
  bool block_write_ = false;
  Bytes sent_;
};

rtmp::socks::Request layer_request() {
  rtmp::socks::Request r;
  r.proxy_where = "127.0.0.1:1080";
  r.host = "example.com";
  r.port = 1935;
  return r;
}

// Calls establish() until it is not kWouldBlock (bounded); records the conditions waited for.
IoResult establish_all(SocksTransport& t, std::vector<GIOCondition>* waits = nullptr) {
  for (int i = 0; i < 1000; i++) {
    IoResult r = t.establish();
    if (r.status != IoStatus::kWouldBlock) return r;
    if (waits) waits->push_back(t.wait_condition());
  }
  return IoResult::error(ErrorKind::kNone, "establish() never finished");
}

TEST(SocksTransportLayer, PartialWritesByteSplitRepliesAndEarlyServerBytes) {
  auto inner = std::make_unique<ScriptedInner>(
      std::vector<Bytes>{{5}, {0, 5}, {0, 0, 1, 127, 0}, {0, 1, 4, 0x38, 'R', 'T'}, {'M', 'P'}});
  ScriptedInner* raw = inner.get();
  SocksTransport t(std::move(inner), layer_request());
  std::vector<GIOCondition> waits;
  IoResult r = establish_all(t, &waits);
  ASSERT_EQ(r.status, IoStatus::kOk) << r.message;
  EXPECT_NE(std::find(waits.begin(), waits.end(), G_IO_OUT), waits.end());
  EXPECT_NE(std::find(waits.begin(), waits.end(), G_IO_IN), waits.end());
  Bytes expected = {5, 1, 0, 5, 1, 0, 3, 11};
  for (char ch : std::string("example.com")) expected.push_back(uint8_t(ch));
  expected.insert(expected.end(), {0x07, 0x8F});
  EXPECT_EQ(raw->sent(), expected);
  EXPECT_EQ(t.establish().status, IoStatus::kOk) << "done stays done";
  // "RT" came with the reply and is read first; "MP" comes from the inner transport.
  EXPECT_TRUE(t.has_buffered_input());
  uint8_t buf[16];
  IoResult got = t.read(buf, 1);
  ASSERT_EQ(got.status, IoStatus::kOk);
  EXPECT_EQ(buf[0], 'R');
  got = t.read(buf, sizeof buf);
  ASSERT_EQ(got.bytes, 1u);
  EXPECT_EQ(buf[0], 'T');
  EXPECT_FALSE(t.has_buffered_input());
  Bytes rest;
  for (int i = 0; i < 10 && rest.size() < 2; i++) {
    got = t.read(buf, sizeof buf);
    if (got.status == IoStatus::kOk) rest.insert(rest.end(), buf, buf + got.bytes);
  }
  EXPECT_EQ(rest, (Bytes{'M', 'P'}));
  EXPECT_EQ(t.describe(), "socks5");
}

TEST(SocksTransportLayer, EndOfStreamDuringTheNegotiationIsAProxyError) {
  SocksTransport t(std::make_unique<ScriptedInner>(std::vector<Bytes>{{5, 0}}, true),
                   layer_request());
  IoResult r = establish_all(t);
  EXPECT_EQ(r.status, IoStatus::kError);
  EXPECT_EQ(r.kind, ErrorKind::kProxy);
  EXPECT_EQ(r.message,
            "proxy 127.0.0.1:1080 closed the connection while we waited for the SOCKS5 proxy "
            "127.0.0.1:1080 to connect to example.com:1935 (not a SOCKS5 proxy?)");
  EXPECT_EQ(t.establish().message, r.message) << "the failure is sticky";
}

// ---- Cancellation and timeout during the negotiation ----------------------------------------

TEST(SocksSessionCancel, WhileTheProxyNeverAnswers) {
  std::atomic<bool> greeted{false};
  ScriptedProxy proxy([&](ProxyConn& c) {
    greeted = c.read(3).size() == 3;
    c.drain();
  });
  Running r(config_via(proxy.url("socks5"), 0));
  auto deadline = SteadyClock::now() + std::chrono::seconds(10);
  while (!greeted && SteadyClock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  ASSERT_TRUE(greeted);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  ASSERT_EQ(r.session.state(), State::kConnecting) << "the negotiation was expected to hang";
  EXPECT_LT(r.cancel_and_join(), kPrompt);
  EXPECT_EQ(r.session.state(), State::kClosed);
}

TEST(SocksSessionTimeout, ProxyThatNeverAnswersTimesOutNamingIt) {
  ScriptedProxy proxy([](ProxyConn& c) { c.drain(); });
  Running r(config_via(proxy.url("socks5"), 300));
  r.join();
  SessionError e = r.recorder.error();
  EXPECT_EQ(e.kind, ErrorKind::kTimeout);
  EXPECT_EQ(e.state, State::kConnecting);
  EXPECT_EQ(e.message, "timed out after 300 ms waiting for the SOCKS5 proxy 127.0.0.1:" +
                           std::to_string(proxy.port()) + " to answer the greeting");
}

TEST(SocksSessionTimeout, ProxyThatNeverConnectsTimesOutNamingTheServer) {
  ScriptedProxy proxy([](ProxyConn& c) {
    c.read(3);
    c.write({5, 0});
    c.drain();
  });
  Running r(config_via(proxy.url("socks5"), 300));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.recorder.error().message,
            "timed out after 300 ms waiting for the SOCKS5 proxy 127.0.0.1:" +
                std::to_string(proxy.port()) + " to connect to rtmp.invalid:1935");
}

// ---- Through to the server -------------------------------------------------------------------

TEST(SocksSession, PublishesThroughSocks5WithPasswordToANameOnlyTheProxyResolves) {
  FakeRtmpServer server([](FakeConnection& c) {
    if (c.accept_until_publishing()) c.stall_until_closed();
  });
  Bytes request, password;
  ScriptedProxy proxy([&](ProxyConn& c) {
    request = socks5_accept(c, kPassword, &password);
    if (request.empty()) return;
    c.write(kGranted);
    relay(c, server.port());
  });
  Running r(config_via(proxy.url("socks5", std::string("alice:") + kPassword + "@")));
  ASSERT_TRUE(r.recorder.wait_state(State::kPublishing)) << r.recorder.error().message;
  Bytes expected = {5, 1, 0, 3, 12};
  for (char ch : std::string("rtmp.invalid")) expected.push_back(uint8_t(ch));
  expected.insert(expected.end(), {0x07, 0x8F});
  EXPECT_EQ(request, expected);
  EXPECT_EQ(std::string(password.begin(), password.end()), kPassword);
  EXPECT_LT(r.cancel_and_join(), kPrompt);
  EXPECT_FALSE(contains(r.recorder.texts(), kPassword));
}

TEST(SocksSession, PublishesThroughSocks4a) {
  FakeRtmpServer server([](FakeConnection& c) {
    if (c.accept_until_publishing()) c.stall_until_closed();
  });
  Bytes request;
  ScriptedProxy proxy([&](ProxyConn& c) {
    request = c.read(8 + 4 + 1 + 12 + 1);  // header, "user" NUL, "rtmp.invalid" NUL
    c.write({0, 90, 0, 0, 0, 0, 0, 0});
    relay(c, server.port());
  });
  Running r(config_via(proxy.url("socks4a", "user@")));
  ASSERT_TRUE(r.recorder.wait_state(State::kPublishing)) << r.recorder.error().message;
  Bytes expected = {4, 1, 0x07, 0x8F, 0, 0, 0, 1, 'u', 's', 'e', 'r', 0};
  for (char ch : std::string("rtmp.invalid")) expected.push_back(uint8_t(ch));
  expected.push_back(0);
  EXPECT_EQ(request, expected);
}

// ---- Errors ----------------------------------------------------------------------------------

TEST(SocksSessionError, RefusalCarriesTheProxysReason) {
  ScriptedProxy proxy([](ProxyConn& c) {
    if (!socks5_accept(c, "").empty()) c.write({5, 4, 0, 1, 0, 0, 0, 0, 0, 0});
  });
  Running r(config_via(proxy.url("socks5")));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kProxy);
  EXPECT_EQ(r.recorder.error().message, "proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                                            " refused the connection to rtmp.invalid:1935: host "
                                            "unreachable (SOCKS5 reply 4)");
}

TEST(SocksSessionError, WrongPasswordNamesTheUserNotThePassword) {
  ScriptedProxy proxy([](ProxyConn& c) { socks5_accept(c, "the-right-one"); });
  Running r(config_via(proxy.url("socks5", std::string("alice:") + kPassword + "@")));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kProxy);
  EXPECT_EQ(r.recorder.error().message, "proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                                            " rejected the username/password of user 'alice' "
                                            "(status 1)");
  EXPECT_FALSE(contains(r.recorder.texts(), kPassword));
}

TEST(SocksSessionError, ProxyThatHangsUpIsNotASocksProxy) {
  ScriptedProxy proxy([](ProxyConn& c) { c.read(3); });
  Running r(config_via(proxy.url("socks5")));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kProxy);
  EXPECT_EQ(r.recorder.error().message,
            "proxy 127.0.0.1:" + std::to_string(proxy.port()) +
                " closed the connection while we waited for the SOCKS5 proxy 127.0.0.1:" +
                std::to_string(proxy.port()) + " to answer the greeting (not a SOCKS5 proxy?)");
}

TEST(SocksSessionError, ClosedProxyPortSaysProxy) {
  uint16_t port = refused_port();
  Running r(config_via("socks5://127.0.0.1:" + std::to_string(port)));
  r.join();
  EXPECT_EQ(r.recorder.error().kind, ErrorKind::kConnectionRefused);
  EXPECT_EQ(r.recorder.error().message.rfind(
                "proxy: connection refused by 127.0.0.1:" + std::to_string(port) + ": ", 0),
            0u)
      << r.recorder.error().message;
}
