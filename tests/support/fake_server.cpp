#include "fake_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <random>
#include <stdexcept>

#include "rtmp/control.hpp"
#include "rtmp/handshake.hpp"

namespace fakertmp {

namespace {

using rtmp::amf0::Value;

// The poll slice: how soon a blocked helper notices that the server is stopping.
constexpr int kSliceMs = 50;
constexpr size_t kReadSize = 64 * 1024;

}  // namespace

// ---------------------------------------------------------------------------------------------
// FakeConnection

FakeConnection::FakeConnection(int fd, const std::atomic<bool>& stopping)
    : fd_(fd), stopping_(stopping) {}

FakeConnection::~FakeConnection() {
  close();
}

FakeConnection::Clock::time_point FakeConnection::deadline_after(int timeout_ms) {
  if (timeout_ms < 0) return Clock::time_point::max();
  return Clock::now() + std::chrono::milliseconds(timeout_ms);
}

int FakeConnection::remaining_ms(Clock::time_point deadline) {
  if (deadline == Clock::time_point::max()) return -1;
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<int64_t>(0, left.count()));
}

int FakeConnection::wait(short events, Clock::time_point deadline) {
  for (;;) {
    if (stopping_.load() || fd_ < 0) return 0;
    int left = remaining_ms(deadline);
    if (left == 0) return 0;
    int slice = left < 0 ? kSliceMs : std::min(left, kSliceMs);
    pollfd p{fd_, events, 0};
    int r = ::poll(&p, 1, slice);
    if (r < 0) {
      if (errno == EINTR) continue;
      error_ = std::string("poll: ") + std::strerror(errno);
      return 0;
    }
    if (r > 0) return 1;  // readiness, hang-up or error: the following call tells which
  }
}

FakeConnection::Fill FakeConnection::receive(Clock::time_point deadline, rtmp::Bytes& chunk) {
  chunk.clear();
  for (;;) {
    if (peer_closed_) return Fill::kEof;
    if (!wait(POLLIN, deadline)) return Fill::kTimeout;
    chunk.resize(kReadSize);
    ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), MSG_DONTWAIT);
    if (n < 0) {
      chunk.clear();
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      error_ = std::string("recv: ") + std::strerror(errno);
      peer_closed_ = true;  // a reset counts as the peer going away
      return Fill::kEof;
    }
    chunk.resize(static_cast<size_t>(n));
    if (n == 0) {
      peer_closed_ = true;
      return Fill::kEof;
    }
    bytes_received_ += static_cast<uint64_t>(n);
    return Fill::kData;
  }
}

FakeConnection::Fill FakeConnection::fill(Clock::time_point deadline) {
  rtmp::Bytes chunk;
  Fill f = receive(deadline, chunk);
  if (f != Fill::kData) return f;
  if (handshake_done_)
    feed_reader(chunk);
  else
    raw_.insert(raw_.end(), chunk.begin(), chunk.end());
  return Fill::kData;
}

void FakeConnection::feed_reader(rtmp::ByteView data) {
  if (reader_failed_ || data.empty()) return;
  std::vector<rtmp::Message> out;
  if (reader_.feed(data, out) == rtmp::ChunkReader::Status::kError) {
    reader_failed_ = true;
    error_ = "chunk stream error: " + reader_.error();
  }
  for (auto& m : out) ready_.push_back(std::move(m));
}

bool FakeConnection::handshake(int timeout_ms) {
  if (handshake_done_) return true;
  Clock::time_point deadline = deadline_after(timeout_ms);
  rtmp::Bytes random(rtmp::kHandshakeRandomSize);
  std::mt19937 rng(0x52544d50u);  // deterministic: tests are reproducible
  for (auto& b : random) b = static_cast<uint8_t>(rng());
  rtmp::ServerHandshake hs(random, 0);
  for (;;) {
    if (!raw_.empty()) {
      size_t used = 0;
      rtmp::Bytes out;
      auto st = hs.feed(raw_, &used, out);
      raw_.erase(raw_.begin(), raw_.begin() + static_cast<std::ptrdiff_t>(used));
      if (!out.empty() && !send_raw(out)) return false;
      if (st == rtmp::ServerHandshake::Status::kError) {
        error_ = "handshake: " + hs.error();
        return false;
      }
      if (st == rtmp::ServerHandshake::Status::kDone) {
        handshake_done_ = true;
        rtmp::Bytes rest;
        rest.swap(raw_);
        feed_reader(rest);
        return true;
      }
    }
    if (fill(deadline) != Fill::kData) {
      if (error_.empty()) error_ = "handshake: no complete C0/C1/C2 from the client";
      return false;
    }
  }
}

std::optional<rtmp::Bytes> FakeConnection::read_raw(size_t n, int timeout_ms) {
  if (handshake_done_) return std::nullopt;  // the bytes now belong to the chunk reader
  Clock::time_point deadline = deadline_after(timeout_ms);
  while (raw_.size() < n) {
    if (fill(deadline) != Fill::kData) return std::nullopt;
  }
  rtmp::Bytes out(raw_.begin(), raw_.begin() + static_cast<std::ptrdiff_t>(n));
  raw_.erase(raw_.begin(), raw_.begin() + static_cast<std::ptrdiff_t>(n));
  return out;
}

bool FakeConnection::send_raw(rtmp::ByteView data) {
  size_t sent = 0;
  while (sent < data.size()) {
    if (!wait(POLLOUT, Clock::time_point::max())) return false;
    ssize_t n = ::send(fd_, data.data() + sent, data.size() - sent, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK) continue;
      error_ = std::string("send: ") + std::strerror(errno);
      return false;
    }
    sent += static_cast<size_t>(n);
  }
  return true;
}

std::optional<rtmp::Message> FakeConnection::read_message(int timeout_ms) {
  if (!handshake_done_) {
    error_ = "read_message() before handshake()";
    return std::nullopt;
  }
  Clock::time_point deadline = deadline_after(timeout_ms);
  while (ready_.empty()) {
    if (reader_failed_) return std::nullopt;
    if (fill(deadline) != Fill::kData) return std::nullopt;
  }
  rtmp::Message m = std::move(ready_.front());
  ready_.pop_front();
  received_.push_back(m);
  return m;
}

std::optional<rtmp::commands::Command> FakeConnection::expect_command(const std::string& name,
                                                                      int timeout_ms) {
  Clock::time_point deadline = deadline_after(timeout_ms);
  for (;;) {
    std::optional<rtmp::Message> m = read_message(remaining_ms(deadline));
    if (!m) return std::nullopt;
    rtmp::ByteView payload(m->payload);
    if (m->type == static_cast<uint8_t>(rtmp::MessageType::kCommandAmf3) && !payload.empty())
      payload = payload.subspan(1);  // AMF3 command messages start with a 0x00 format byte
    else if (m->type != static_cast<uint8_t>(rtmp::MessageType::kCommandAmf0))
      continue;
    std::string err;
    auto c = rtmp::commands::parse_command(payload, &err);
    if (c && c->name == name) return c;
  }
}

bool FakeConnection::read_until_closed(int timeout_ms) {
  if (!handshake_done_) return false;
  Clock::time_point deadline = deadline_after(timeout_ms);
  for (;;) {
    while (!ready_.empty()) {
      received_.push_back(std::move(ready_.front()));
      ready_.pop_front();
    }
    if (reader_failed_) return false;
    Fill f = fill(deadline);
    if (f == Fill::kEof) {
      while (!ready_.empty()) {
        received_.push_back(std::move(ready_.front()));
        ready_.pop_front();
      }
      return true;
    }
    if (f == Fill::kTimeout) return false;
  }
}

bool FakeConnection::send_message(const rtmp::Message& m) {
  rtmp::Bytes out;
  if (!writer_.write(m, out)) {
    error_ = "chunk writer: chunk stream or length out of range";
    return false;
  }
  return send_raw(out);
}

bool FakeConnection::set_chunk_size(uint32_t size) {
  rtmp::Bytes out;
  if (!writer_.set_chunk_size(size, out)) {
    error_ = "chunk writer: chunk size out of range";
    return false;
  }
  return send_raw(out);
}

bool FakeConnection::send_command(const std::string& name, double txn, const Value& cmd_object,
                                  const std::vector<Value>& args, uint32_t stream_id) {
  return send_message(rtmp::commands::call(name, txn, cmd_object, args, stream_id));
}

bool FakeConnection::send_status(uint32_t stream_id, const std::string& level,
                                 const std::string& code, const std::string& description) {
  Value info = Value::Object({{"level", Value::String(level)},
                              {"code", Value::String(code)},
                              {"description", Value::String(description)}});
  return send_command("onStatus", 0, Value::Null(), {info}, stream_id);
}

bool FakeConnection::reply_result(double txn, const std::vector<Value>& args) {
  return send_command("_result", txn, Value::Null(), args);
}

bool FakeConnection::reply_error(double txn, const std::string& code,
                                 const std::string& description) {
  Value info = Value::Object({{"level", Value::String("error")},
                              {"code", Value::String(code)},
                              {"description", Value::String(description)}});
  return send_command("_error", txn, Value::Null(), {info});
}

std::optional<rtmp::commands::Command> FakeConnection::answer_connect(int timeout_ms) {
  auto c = expect_command("connect", timeout_ms);
  if (!c) return std::nullopt;
  Value props = Value::Object(
      {{"fmsVer", Value::String("FMS/3,0,1,123")}, {"capabilities", Value::Number(31)}});
  Value info = Value::Object({{"level", Value::String("status")},
                              {"code", Value::String("NetConnection.Connect.Success")},
                              {"description", Value::String("Connection succeeded.")},
                              {"objectEncoding", Value::Number(0)}});
  if (!send_command("_result", c->transaction_id, props, {info})) return std::nullopt;
  return c;
}

std::optional<rtmp::commands::Command> FakeConnection::answer_create_stream(int timeout_ms,
                                                                            uint32_t stream_id) {
  auto c = expect_command("createStream", timeout_ms);
  if (!c) return std::nullopt;
  if (!reply_result(c->transaction_id, {Value::Number(stream_id)})) return std::nullopt;
  return c;
}

std::optional<rtmp::commands::Command> FakeConnection::accept_publish(int timeout_ms,
                                                                      uint32_t stream_id) {
  auto c = expect_command("publish", timeout_ms);
  if (!c) return std::nullopt;
  std::string name = c->arguments.empty() ? std::string() : c->arguments[0].string();
  if (!send_status(stream_id, "status", "NetStream.Publish.Start", name + " is now published."))
    return std::nullopt;
  return c;
}

bool FakeConnection::accept_until_publishing(int timeout_ms) {
  return handshake(timeout_ms) && answer_connect(timeout_ms) && answer_create_stream(timeout_ms) &&
         accept_publish(timeout_ms);
}

bool FakeConnection::send_user_control(uint16_t event, uint32_t value) {
  return send_message(
      rtmp::control::user_control(static_cast<rtmp::control::UserControlEvent>(event), value));
}

std::optional<rtmp::commands::Command> FakeConnection::accept_play(int timeout_ms,
                                                                   uint32_t stream_id,
                                                                   bool recorded) {
  auto c = expect_command("play", timeout_ms);
  if (!c) return std::nullopt;
  using Ev = rtmp::control::UserControlEvent;
  if (recorded && !send_user_control(static_cast<uint16_t>(Ev::kStreamIsRecorded), stream_id))
    return std::nullopt;
  if (!send_user_control(static_cast<uint16_t>(Ev::kStreamBegin), stream_id)) return std::nullopt;
  std::string name = c->arguments.empty() ? std::string() : c->arguments[0].string();
  if (!send_status(stream_id, "status", "NetStream.Play.Start", "Started playing " + name + "."))
    return std::nullopt;
  return c;
}

bool FakeConnection::accept_until_playing(int timeout_ms, bool recorded) {
  return handshake(timeout_ms) && answer_connect(timeout_ms) && answer_create_stream(timeout_ms) &&
         accept_play(timeout_ms, 1, recorded);
}

bool FakeConnection::send_media(uint8_t type, uint32_t timestamp, rtmp::ByteView payload,
                                uint32_t stream_id) {
  rtmp::Message m;
  m.type = type;
  m.timestamp = timestamp;
  m.stream_id = stream_id;
  switch (static_cast<rtmp::MessageType>(type)) {
    case rtmp::MessageType::kAudio:
      m.chunk_stream = rtmp::csid::kAudio;
      break;
    case rtmp::MessageType::kDataAmf0:
      m.chunk_stream = rtmp::csid::kData;
      break;
    default:
      m.chunk_stream = rtmp::csid::kVideo;
      break;
  }
  m.payload.assign(payload.begin(), payload.end());
  return send_message(m);
}

void FakeConnection::stall_until_closed() {
  rtmp::Bytes chunk;
  while (receive(Clock::time_point::max(), chunk) == Fill::kData) {
  }
}

void FakeConnection::close() {
  std::lock_guard lock(fd_mutex_);
  if (fd_ < 0) return;
  ::shutdown(fd_, SHUT_RDWR);
  ::close(fd_);
  fd_ = -1;
}

void FakeConnection::abort() {
  std::lock_guard lock(fd_mutex_);
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

// ---------------------------------------------------------------------------------------------
// FakeRtmpServer

FakeRtmpServer::FakeRtmpServer(Handler handler, int receive_buffer_bytes)
    : handler_(std::move(handler)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
  int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // Set before listen(): accepted sockets inherit it, and the window scale follows it.
  if (receive_buffer_bytes > 0)
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer_bytes,
                 sizeof receive_buffer_bytes);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::string msg = std::string("fake RTMP server cannot listen: ") + std::strerror(errno);
    ::close(listen_fd_);
    throw std::runtime_error(msg);
  }
  port_ = ntohs(addr.sin_port);
  accept_thread_ = std::thread([this] { accept_loop(); });
}

FakeRtmpServer::~FakeRtmpServer() {
  stop();
}

int FakeRtmpServer::accepted() const {
  std::lock_guard lock(mutex_);
  return accepted_;
}

int FakeRtmpServer::finished() const {
  std::lock_guard lock(mutex_);
  return finished_;
}

bool FakeRtmpServer::wait_finished(int count, int timeout_ms) {
  std::unique_lock lock(mutex_);
  return finished_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                               [&] { return finished_ >= count; });
}

void FakeRtmpServer::accept_loop() {
  while (!stopping_.load()) {
    pollfd p{listen_fd_, POLLIN, 0};
    int r = ::poll(&p, 1, kSliceMs);
    if (r <= 0) continue;
    int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    auto connection = std::make_shared<FakeConnection>(fd, stopping_);
    std::lock_guard lock(mutex_);
    accepted_++;
    connections_.push_back(connection);
    threads_.emplace_back([this, connection] { run_handler(connection); });
  }
}

void FakeRtmpServer::run_handler(std::shared_ptr<FakeConnection> connection) {
  try {
    handler_(*connection);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake RTMP server: handler threw: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "fake RTMP server: handler threw\n");
  }
  connection->close();
  std::lock_guard lock(mutex_);
  finished_++;
  finished_cv_.notify_all();
}

void FakeRtmpServer::stop() {
  if (stopped_) return;
  stopped_ = true;
  stopping_.store(true);
  if (accept_thread_.joinable()) accept_thread_.join();
  ::close(listen_fd_);
  listen_fd_ = -1;
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mutex_);
    for (auto& c : connections_) c->abort();
    threads.swap(threads_);
  }
  for (auto& t : threads) t.join();
  std::lock_guard lock(mutex_);
  connections_.clear();
}

}  // namespace fakertmp
