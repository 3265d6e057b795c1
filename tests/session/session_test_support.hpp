// What the session tests share: a listener that records states, errors and every text the
// session produced, and a session running on its own thread (run(): a private event loop).
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "session/session.hpp"
#include "util/clock.hpp"

namespace sessiontest {

using SteadyClock = std::chrono::steady_clock;

// What a test asks for, in the units tests want (milliseconds, byte bounds). connection() goes
// the elements' way, config::Settings then config::validate(), and then sets what settings
// cannot say (sub-second timeouts, the queue bound).
struct TestConfig {
  rtmpsession::Role role = rtmpsession::Role::kPublish;
  std::string scheme = "rtmp";
  std::string host = "127.0.0.1";
  uint16_t port = 1935;
  std::string application = "app";
  std::string stream = "stream";
  std::string tc_url;  // empty = derived
  uint32_t timeout_ms = 5000;
  uint32_t chunk_size = 4096;
  size_t queue_bytes = rtmp::defaults::kQueueBytes;
  int reconnect_attempts = 0;
  uint32_t reconnect_delay_ms = 1000;
  uint32_t reconnect_max_delay_ms = 30000;
  std::string username, password;
  std::string authmod;  // "", "none", "adobe", "llnw"
  std::string secure_token;
  uint32_t tls_validation_flags = 0x7f;
  std::string tls_ca_file;
  std::string proxy;
  uint32_t max_latency_ms = 0;  // tests publish as fast as they can (like sync=false)
  uint32_t peak_kbps = 0;

  config::Settings settings() const {
    config::Settings s;
    s.scheme = rtmp::parse_scheme(scheme).value_or(rtmp::Scheme::kRtmp);
    s.host = host;
    s.port = port;
    s.application = application;
    s.stream = stream;
    s.options.tc_url = tc_url;
    s.timeout_s = (timeout_ms + 999) / 1000;
    s.chunk_size = chunk_size;
    s.reconnect_attempts = reconnect_attempts;
    s.reconnect_delay_ms = reconnect_delay_ms;
    s.reconnect_max_delay_ms = reconnect_max_delay_ms;
    s.username = username;
    s.password = password;
    s.authmod = authmod == "none"    ? config::Authmod::kNone
                : authmod == "adobe" ? config::Authmod::kAdobe
                : authmod == "llnw"  ? config::Authmod::kLlnw
                                     : config::Authmod::kAuto;
    s.secure_token = secure_token;
    s.tls_validation_flags = tls_validation_flags;
    s.tls_ca_file = tls_ca_file;
    s.proxy = proxy;
    s.max_latency_ms = max_latency_ms;
    s.live_pacing = max_latency_ms > 0;
    s.peak_kbps = peak_kbps;
    return s;
  }
  config::Connection connection() const {
    std::string error;
    std::optional<config::Connection> c = config::validate(settings(), role, &error);
    if (!c) {
      fprintf(stderr, "test configuration does not validate: %s\n", error.c_str());
      abort();
    }
    c->timeout_ms = timeout_ms;
    if (c->tunnel) c->tunnel->timeout_ms = timeout_ms;
    c->publish.queue_bytes = queue_bytes;
    c->play.queue_bytes = queue_bytes;
    return *c;
  }
};
// How soon cancel() must make run() return, from any phase.
constexpr auto kPrompt = std::chrono::milliseconds(100);

class Recorder : public rtmpsession::SessionListener {
 public:
  void on_state(const rtmpsession::StateChange& c) override {
    if (getenv("TRACE_STATES"))
      fprintf(stderr, "state %s attempt %u %s\n", rtmpsession::state_name(c.state), c.attempt,
              c.reason.c_str());
    std::lock_guard lock(mutex_);
    states_.push_back(c.state);
    texts_.push_back(c.reason);
    cond_.notify_all();
  }
  void on_error(const rtmpsession::SessionError& e) override {
    std::lock_guard lock(mutex_);
    error_ = e;
    texts_.push_back(e.message);
    texts_.push_back(e.server_code);
    cond_.notify_all();
  }
  bool wait_state(rtmpsession::State s, int timeout_ms = 10000) {
    std::unique_lock lock(mutex_);
    return cond_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
      return std::find(states_.begin(), states_.end(), s) != states_.end();
    });
  }
  rtmpsession::SessionError error() {
    std::lock_guard lock(mutex_);
    return error_;
  }
  std::vector<rtmpsession::State> states() {
    std::lock_guard lock(mutex_);
    return states_;
  }
  // State reasons, error messages and server codes, in order (to search for secrets).
  std::vector<std::string> texts() {
    std::lock_guard lock(mutex_);
    return texts_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable cond_;
  std::vector<rtmpsession::State> states_;
  std::vector<std::string> texts_;
  rtmpsession::SessionError error_;
};

// Runs a session on its own thread; the destructor cancels and joins.
struct Running {
  Recorder recorder;
  rtmpsession::Session session;
  std::thread thread;
  explicit Running(const TestConfig& c) : session(c.connection(), &recorder) {
    thread = std::thread([this] { session.run(); });
  }
  ~Running() {
    session.cancel();
    if (thread.joinable()) thread.join();
  }
  // Cancels and returns how long run() took to return.
  SteadyClock::duration cancel_and_join() {
    auto start = SteadyClock::now();
    session.cancel();
    thread.join();
    return SteadyClock::now() - start;
  }
  // Waits for run() to return on its own (the session failed or closed).
  void join() { thread.join(); }
  rtmpsession::SessionError join_error() {
    thread.join();
    return recorder.error();
  }
};

// A clock that moves only when told to, for parts and transports that take a Clock.
class FakeClock : public util::Clock {
 public:
  explicit FakeClock(int64_t start_us = 1'000'000'000) : now_(start_us) {}
  int64_t now_us() const override { return now_; }
  void advance_us(int64_t us) { now_ += us; }

 private:
  int64_t now_;
};

// A loopback port nothing listens on (bound, then closed): connecting is refused.
inline uint16_t refused_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

// One played message, as the source takes them (pull_batch with a limit of one).
inline rtmpsession::PullResult pull_one(rtmpsession::Session& session, rtmp::Message* message,
                                        int64_t timeout_us, bool* discont = nullptr) {
  std::vector<rtmp::Message> one;
  rtmpsession::PullResult r = session.pull_batch(&one, 1, timeout_us, discont);
  if (r == rtmpsession::PullResult::kMessage) *message = std::move(one.front());
  return r;
}

// A video message of `size` bytes (0x27: an H.264 inter frame's first byte).
inline rtmp::Message video_message(size_t size) {
  rtmp::Message m;
  m.type = 9;
  m.chunk_stream = rtmp::csid::kVideo;
  m.payload.assign(size, 0x27);
  return m;
}

}  // namespace sessiontest
