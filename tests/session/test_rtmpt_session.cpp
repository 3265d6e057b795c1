// RTMPT: the tunnel transport against a scripted HTTP peer on a socket pair (requests, coalescing,
// polling, close, errors), and the session opening a tunnel to servers that do not answer or
// refuse (cancellation, timeout, error).
#include <arpa/inet.h>
#include <gio/gio.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <string>
#include <thread>

#include "session/session.hpp"
#include "session_test_support.hpp"
#include "transport/rtmpt_transport.hpp"
#include "transport/tcp_transport.hpp"

using namespace rtmpsession;
using sessiontest::kPrompt;
using sessiontest::Recorder;
using sessiontest::Running;
using sessiontest::SteadyClock;
using sessiontest::TestConfig;

namespace {

// ---- The server side of a socket pair: reads requests, writes responses (blocking) ---------

struct Request {
  std::string head;
  std::string path;
  std::string body;
};

bool wait_readable(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1;
}

// Reads one request (head, then Content-Length body); empty path if none came within 5 s.
Request read_request(int fd) {
  Request r;
  std::string data;
  char c;
  while (data.find("\r\n\r\n") == std::string::npos) {
    if (!wait_readable(fd, 5000) || ::read(fd, &c, 1) != 1) return r;
    data += c;
  }
  r.head = data;
  size_t sp = data.find(' ');
  r.path = data.substr(sp + 1, data.find(' ', sp + 1) - sp - 1);
  size_t cl = data.find("Content-Length: ");
  size_t length = cl == std::string::npos ? 0 : std::stoul(data.substr(cl + 16));
  while (r.body.size() < length) {
    if (!wait_readable(fd, 5000) || ::read(fd, &c, 1) != 1) return Request{};
    r.body += c;
  }
  return r;
}

void answer(int fd, const std::string& body, const std::string& status = "200 OK") {
  std::string text = "HTTP/1.1 " + status +
                     "\r\nContent-Type: application/x-fcs\r\nConnection: Keep-Alive\r\n"
                     "Content-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body;
  ASSERT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
}

std::string zero() {
  return std::string(1, '\0');
}

TestConfig tunnel_config(uint16_t port = 8080, uint32_t timeout_ms = 5000) {
  TestConfig c;
  c.scheme = "rtmpt";
  c.host = "127.0.0.1";
  c.port = port;
  c.application = "app";
  c.stream = "stream";
  c.tc_url = "rtmpt://127.0.0.1/app";
  c.timeout_ms = timeout_ms;
  return c;
}

// An RtmptTransport over TCP on one end of a socket pair; the test is the server on the other.
class TunnelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    int fds[2];
    ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    server_ = fds[1];
    GSocket* socket = g_socket_new_from_fd(fds[0], nullptr);
    ASSERT_NE(socket, nullptr);
    g_socket_set_blocking(socket, FALSE);
    TestConfig config = tunnel_config();
    config.host = "example.com";
    transport_ = std::make_unique<RtmptTransport>(std::make_unique<TcpTransport>(socket),
                                                  *config.connection().tunnel, clock_);
    g_object_unref(socket);
  }
  void TearDown() override {
    transport_.reset();
    if (server_ >= 0) close(server_);
  }

  int client_fd() const { return g_socket_get_fd(transport_->socket()); }

  // Calls establish() until it stops blocking (the server has answered).
  IoResult establish() {
    IoResult r = transport_->establish();
    for (int i = 0; i < 100 && r.status == IoStatus::kWouldBlock; i++) {
      wait_readable(client_fd(), 50);
      r = transport_->establish();
    }
    return r;
  }

  // Opens the tunnel with session id "ab1".
  void open() {
    ASSERT_EQ(transport_->establish().status, IoStatus::kWouldBlock);
    Request r = read_request(server_);
    ASSERT_EQ(r.path, "/open/1");
    EXPECT_EQ(r.body, zero());
    EXPECT_NE(r.head.find("\r\nHost: example.com:8080\r\n"), std::string::npos) << r.head;
    EXPECT_NE(r.head.find("\r\nContent-Type: application/x-fcs\r\n"), std::string::npos);
    answer(server_, "ab1\n");
    ASSERT_EQ(establish().status, IoStatus::kOk);
    EXPECT_EQ(transport_->session_id(), "ab1");
  }

  IoResult write(const std::string& s) {
    GOutputVector v{s.data(), s.size()};
    return transport_->write(&v, 1);
  }

  // Reads what the transport gives once the server's answer arrived (or its end / error).
  IoResult read(std::string* got) {
    uint8_t buffer[4096];
    if (!transport_->has_buffered_input()) wait_readable(client_fd(), 2000);
    IoResult r = transport_->read(buffer, sizeof buffer);
    if (r.status == IoStatus::kOk) got->assign(reinterpret_cast<char*>(buffer), r.bytes);
    return r;
  }

  int server_ = -1;
  sessiontest::FakeClock clock_;
  std::unique_ptr<RtmptTransport> transport_;
};

TEST_F(TunnelTest, SendsCoalescesPollsAndCloses) {
  open();
  EXPECT_EQ(transport_->describe(), "rtmpt");
  ASSERT_EQ(write("hello").bytes, 5u);
  Request r = read_request(server_);
  EXPECT_EQ(r.path, "/send/ab1/0");
  EXPECT_EQ(r.body, "hello");
  // Written while /send/ab1/0 is outstanding: goes out after its answer, in one request.
  ASSERT_EQ(write("wor").bytes, 3u);
  ASSERT_EQ(write("ld").bytes, 2u);
  EXPECT_EQ(transport_->flush().status, IoStatus::kOk);
  EXPECT_FALSE(wait_readable(server_, 0));
  answer(server_,
         "\x01"
         "RTMP-reply");
  std::string got;
  ASSERT_EQ(read(&got).status, IoStatus::kOk);
  EXPECT_EQ(got, "RTMP-reply");
  r = read_request(server_);
  EXPECT_EQ(r.path, "/send/ab1/1");
  EXPECT_EQ(r.body, "world");

  // An empty answer to a send (no wait asked for): one poll at once.
  answer(server_, zero());
  EXPECT_EQ(read(&got).status, IoStatus::kWouldBlock);
  r = read_request(server_);
  EXPECT_EQ(r.path, "/idle/ab1/2");
  EXPECT_EQ(r.body, zero());
  // Empty again, and the server asks for 16 x 16 ms: no poll before that, one after.
  answer(server_, "\x10");
  EXPECT_EQ(read(&got).status, IoStatus::kWouldBlock);
  const int64_t now = clock_.now_us();
  EXPECT_EQ(transport_->next_wakeup_us(), now + 256'000);
  transport_->on_wakeup(now);
  EXPECT_FALSE(wait_readable(server_, 0));
  clock_.advance_us(400'000);
  transport_->on_wakeup(clock_.now_us());
  r = read_request(server_);
  EXPECT_EQ(r.path, "/idle/ab1/3");
  // Data in the answer: the next poll goes at once.
  answer(server_,
         "\x01"
         "x");
  ASSERT_EQ(read(&got).status, IoStatus::kOk);
  EXPECT_EQ(got, "x");
  r = read_request(server_);
  EXPECT_EQ(r.path, "/idle/ab1/4");

  // Closing: the bytes still to send go first, then /close; its answer ends the stream.
  ASSERT_EQ(write("bye").bytes, 3u);
  transport_->shutdown_write();
  EXPECT_EQ(write("late").status, IoStatus::kClosed);
  answer(server_, "\x01");
  EXPECT_EQ(read(&got).status, IoStatus::kWouldBlock);
  r = read_request(server_);
  EXPECT_EQ(r.path, "/send/ab1/5");
  EXPECT_EQ(r.body, "bye");
  answer(server_, "\x01");
  EXPECT_EQ(read(&got).status, IoStatus::kWouldBlock);
  r = read_request(server_);
  EXPECT_EQ(r.path, "/close/ab1/6");
  answer(server_, zero());
  EXPECT_EQ(read(&got).status, IoStatus::kClosed);
  EXPECT_EQ(transport_->requests_sent(), 8u);
}

TEST_F(TunnelTest, UnansweredRequestTimesOutThroughRead) {
  open();
  ASSERT_EQ(write("x").bytes, 1u);
  EXPECT_EQ(read_request(server_).path, "/send/ab1/0");
  EXPECT_FALSE(transport_->has_buffered_input());
  // The outstanding request's deadline is when the session must wake the transport.
  EXPECT_EQ(transport_->next_wakeup_us(), clock_.now_us() + 5 * G_USEC_PER_SEC);
  clock_.advance_us(5 * G_USEC_PER_SEC - 1);
  transport_->on_wakeup(clock_.now_us());
  EXPECT_FALSE(transport_->has_buffered_input());
  clock_.advance_us(1);
  transport_->on_wakeup(clock_.now_us());
  // The session calls read() when the transport says it has input: that reports the timeout.
  EXPECT_TRUE(transport_->has_buffered_input());
  std::string got;
  IoResult r = read(&got);
  EXPECT_EQ(r.status, IoStatus::kError);
  EXPECT_EQ(r.kind, ErrorKind::kTimeout);
  EXPECT_EQ(r.message, "RTMPT server did not answer /send/ab1/0 within 5 s");
}

TEST_F(TunnelTest, ServerClosingBeforeTheLastBytesArrivedIsAnError) {
  open();
  ASSERT_EQ(write("stop commands").bytes, 13u);
  transport_->shutdown_write();
  EXPECT_EQ(read_request(server_).path, "/send/ab1/0");
  close(server_);
  server_ = -1;
  std::string got;
  IoResult r = read(&got);
  EXPECT_EQ(r.status, IoStatus::kError);
  EXPECT_EQ(r.kind, ErrorKind::kDisconnected);
  EXPECT_EQ(r.message,
            "RTMPT server closed the connection before the last bytes were delivered (no answer "
            "to /send/ab1/0)");
}

TEST_F(TunnelTest, ServerClosingBetweenAnswersEndsTheStream) {
  open();
  transport_->on_wakeup(clock_.now_us());
  EXPECT_EQ(read_request(server_).path, "/idle/ab1/0");
  answer(server_,
         "\x01"
         "data");
  std::string got;
  ASSERT_EQ(read(&got).status, IoStatus::kOk);
  EXPECT_EQ(read_request(server_).path, "/idle/ab1/1");
  close(server_);
  server_ = -1;
  EXPECT_EQ(read(&got).status, IoStatus::kClosed);
}

TEST_F(TunnelTest, ServerClosingMidAnswerIsAnError) {
  open();
  ASSERT_EQ(write("x").bytes, 1u);
  EXPECT_EQ(read_request(server_).path, "/send/ab1/0");
  const std::string partial =
      "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n\x01"
      "abc";
  ASSERT_EQ(::write(server_, partial.data(), partial.size()), ssize_t(partial.size()));
  close(server_);
  server_ = -1;
  std::string got, all;
  IoResult r;
  for (int i = 0; i < 4; i++) {
    r = read(&got);
    if (r.status != IoStatus::kOk) break;
    all += got;
  }
  EXPECT_EQ(all, "abc");  // what arrived is delivered, then the error
  EXPECT_EQ(r.status, IoStatus::kError);
  EXPECT_EQ(r.kind, ErrorKind::kDisconnected);
  EXPECT_EQ(r.message,
            "RTMPT server closed the connection in the middle of its answer to /send/ab1/0");
}

TEST_F(TunnelTest, NonOkAnswerIsAProtocolError) {
  open();
  ASSERT_EQ(write("x").bytes, 1u);
  EXPECT_EQ(read_request(server_).path, "/send/ab1/0");
  answer(server_, "", "500 Internal Server Error");
  std::string got;
  IoResult r = read(&got);
  EXPECT_EQ(r.status, IoStatus::kError);
  EXPECT_EQ(r.kind, ErrorKind::kProtocol);
  EXPECT_EQ(r.message, "RTMPT server answered 500 (Internal Server Error) to /send/ab1/0");
}

TEST_F(TunnelTest, OpenRefusedIsAConnectError) {
  ASSERT_EQ(transport_->establish().status, IoStatus::kWouldBlock);
  EXPECT_EQ(transport_->establishing_what(), "the RTMPT tunnel to open");
  EXPECT_EQ(read_request(server_).path, "/open/1");
  answer(server_, "", "404 Not Found");
  IoResult r = establish();
  EXPECT_EQ(r.status, IoStatus::kError);
  EXPECT_EQ(r.kind, ErrorKind::kConnectFailed);
  EXPECT_EQ(r.message, "RTMPT server answered 404 (Not Found) to /open/1");
}

TEST_F(TunnelTest, WritesAreBoundedWhileARequestIsOutstanding) {
  open();
  const std::string big(3 * 1024 * 1024, 'm');
  size_t taken = 0;
  IoResult r;
  for (int i = 0; i < 10; i++) {
    GOutputVector v{big.data() + taken, big.size() - taken};
    r = transport_->write(&v, 1);
    if (r.status != IoStatus::kOk) break;
    taken += r.bytes;
  }
  EXPECT_EQ(r.status, IoStatus::kWouldBlock);
  // One /send of kMaxSendBytes went out (or is going out); the rest waits, up to the bound.
  EXPECT_EQ(taken, RtmptTransport::kMaxPendingBytes + RtmptTransport::kMaxSendBytes);
}

// ---- The session opening a tunnel --------------------------------------------------------

// Accepts one connection, reads the first request, answers it with `response` (nothing when
// empty) and keeps the connection open until destroyed.
class HttpPeer {
 public:
  explicit HttpPeer(std::string response) : response_(std::move(response)) {
    listen_fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    listen(listen_fd_, 4);
    socklen_t len = sizeof a;
    getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] { serve(); });
  }
  ~HttpPeer() {
    stop_ = true;
    thread_.join();
    close(listen_fd_);
  }
  uint16_t port() const { return port_; }
  // Resolves with the first request's path once it has been read.
  std::future<std::string> request() { return got_.get_future(); }

 private:
  void serve() {
    int fd = -1;
    while (!stop_ && fd < 0)
      if (wait_readable(listen_fd_, 20)) fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    Request r = read_request(fd);
    if (!response_.empty()) {
      ssize_t n = ::write(fd, response_.data(), response_.size());
      (void)n;
    }
    got_.set_value(r.path);
    while (!stop_) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    close(fd);
  }

  std::string response_;
  int listen_fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::promise<std::string> got_;
  std::thread thread_;
};

TEST(RtmptSession, CancelWhileTheTunnelOpensIsPrompt) {
  HttpPeer peer("");  // accepts, reads /open/1, never answers
  auto request = peer.request();
  Recorder recorder;
  Session session(tunnel_config(peer.port(), 30000).connection(), &recorder);
  std::thread thread([&] { session.run(); });
  ASSERT_EQ(request.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_EQ(request.get(), "/open/1");
  auto start = SteadyClock::now();
  session.cancel();
  thread.join();
  EXPECT_LT(SteadyClock::now() - start, kPrompt);
  EXPECT_EQ(session.state(), State::kClosed);
}

TEST(RtmptSession, TunnelThatNeverOpensTimesOut) {
  HttpPeer peer("");
  Recorder recorder;
  Session session(tunnel_config(peer.port(), 300).connection(), &recorder);
  session.run();
  SessionError e = recorder.error();
  EXPECT_EQ(e.kind, ErrorKind::kTimeout);
  EXPECT_EQ(e.message, "timed out after 300 ms waiting for the RTMPT tunnel to open");
}

TEST(RtmptSession, RefusedOpenFailsWithTheStatus) {
  HttpPeer peer("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  Recorder recorder;
  Session session(tunnel_config(peer.port(), 5000).connection(), &recorder);
  session.run();
  SessionError e = recorder.error();
  EXPECT_EQ(e.kind, ErrorKind::kConnectFailed);
  EXPECT_EQ(e.message, "RTMPT server answered 404 (Not Found) to /open/1");
}

}  // namespace
