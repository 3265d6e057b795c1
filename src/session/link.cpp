#include "session/link.hpp"

#include <glib.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "transport/transport_factory.hpp"

namespace rtmpsession {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxWriteSlices = 64;  // views per gathering write
constexpr int kMaxReadsPerWakeup = 16;

// Reads go through one buffer per loop thread (what is read is parsed before the next read).
std::vector<uint8_t>& read_buffer() {
  thread_local std::vector<uint8_t> buffer(kReadChunk);
  return buffer;
}

}  // namespace

Link::Link(GMainContext* context, const Clock& clock, const config::Connection& connection,
           rtmp::ClientConfig client_config, LinkObserver& observer, rtmp::Logger* logger)
    : context_(context),
      clock_(clock),
      connection_(connection),
      client_config_(std::move(client_config)),
      observer_(observer),
      logger_(logger),
      start_us_(clock.now_us()) {}

Link::~Link() {
  retire();
}

uint32_t Link::now_ms() const {
  return static_cast<uint32_t>((clock_.now_us() - start_us_) / 1000);
}

void Link::start() {
  const config::Endpoint& hop = connection_.first_hop();
  // "proxy: connection refused by 127.0.0.1:1080: ..." when it is the proxy that cannot be reached.
  std::string prefix = connection_.proxy ? "proxy: " : "";
  TcpConnector::Callbacks cb;
  cb.on_phase = [this](TcpConnector::Phase p) { observer_.on_link_phase(p); };
  cb.on_connected = [this](GSocket* s) { on_connected(s); };
  cb.on_failed = [this, prefix](ErrorKind k, std::string m) { fail(k, prefix + m); };
  rtmp::log_lazily(logger_, rtmp::LogLevel::kInfo, [&] {
    return "connecting to " + std::string(connection_.first_hop_name()) + " " + hop.host + ":" +
           std::to_string(hop.port) + " (" + connection_.safe_url + ")";
  });
  connector_ = std::make_unique<TcpConnector>(context_, hop.host, hop.port, connection_.timeout_ms,
                                              std::move(cb));
  connector_->start();
}

void Link::retire() {
  retired_ = true;
  if (connector_) connector_->cancel();
  establish_watch_.reset();
  read_watch_.reset();
  write_watch_.reset();
}

void Link::fail(ErrorKind kind, std::string message) {
  if (retired_) return;
  observer_.on_link_failed(kind, std::move(message));
}

std::string Link::establishing_what() const {
  return transport_ ? transport_->establishing_what() : std::string("the TCP connection");
}

std::string Link::transport_description() const {
  return transport_ ? transport_->describe() : std::string();
}

void Link::on_connected(GSocket* socket) {
  transport_ = make_transport(connection_, socket, clock_);  // owns the socket now
  socket_ = socket;
  if (unsent_limit_) apply_unsent_limit();
  if (peak_kbps_ && !apply_pacing()) return;
  observer_.on_link_connected();
  if (!retired_) continue_establish();
}

void Link::continue_establish() {
  if (!transport_ || established_ || retired_) return;
  IoResult r = transport_->establish();
  switch (r.status) {
    case IoStatus::kOk:
      establish_watch_.reset();
      established_ = true;
      start_client();
      return;
    case IoStatus::kWouldBlock:
      // Re-armed every time: the condition to wait for may change (TLS).
      establish_watch_.watch_socket(context_, transport_->socket(), transport_->wait_condition());
      return;
    case IoStatus::kClosed:
      establish_watch_.reset();
      fail(ErrorKind::kConnectFailed,
           "connection closed during " + transport_->establishing_what());
      return;
    case IoStatus::kError:
      establish_watch_.reset();
      fail(r.kind, std::move(r.message));
      return;
  }
}

void Link::start_client() {
  read_watch_.watch_socket(context_, transport_->socket(), G_IO_IN);
  std::vector<uint8_t> random(1528);
  for (auto& b : random) b = static_cast<uint8_t>(g_random_int());
  rtmp::log_lazily(logger_, rtmp::LogLevel::kInfo,
                   [&] { return "transport ready: " + transport_->describe(); });
  client_ = std::make_unique<rtmp::ClientConnection>(client_config_, random, now_ms());
  client_->set_logger(logger_);
  client_->start();
  observer_.on_link_established();
  if (retired_) return;
  observer_.on_client_events();
  if (retired_) return;
  flush();
  // Bytes a layer already holds (sent right after a proxy's reply or the TLS handshake) do not
  // make the socket readable again.
  if (!retired_ && transport_->has_buffered_input()) read();
}

void Link::read() {
  if (in_read_) return;  // an observer resumed reading from inside this loop: it goes on
  in_read_ = true;
  read_more_ = false;
  size_t bytes = read_some();
  in_read_ = false;
  if (!retired_) flush();
  if (!retired_ && batch_reads_) pace_reads(bytes);
}

void Link::read_deferred() {
  if (!read_waiting_ || retired_) return;
  read_waiting_ = false;
  if (reading_) read();
}

// Batching: a little read and the socket empty, wait for the next tick; else watch the socket.
void Link::pace_reads(size_t bytes) {
  bool trickle = bytes > 0 && bytes < kReadChunk && reading_ && !read_more_;
  if (trickle) {
    read_watch_.reset();
    read_waiting_ = true;
    observer_.on_read_deferred();
    return;
  }
  if (!read_waiting_ && reading_ && !read_watch_.active())
    read_watch_.watch_socket(context_, transport_->socket(), G_IO_IN);
}

size_t Link::read_some() {
  std::vector<uint8_t>& buffer = read_buffer();
  size_t total = 0;
  for (int i = 0; i < kMaxReadsPerWakeup && !retired_ && client_ && reading_; i++) {
    IoResult r = transport_->read(buffer.data(), buffer.size());
    if (r.status == IoStatus::kWouldBlock) break;
    if (r.status == IoStatus::kError) {
      fail(r.kind, std::move(r.message));
      return total;
    }
    if (r.status == IoStatus::kClosed) {
      if (!retired_) observer_.on_peer_closed();
      return total;
    }
    total += r.bytes;
    client_->receive(rtmp::ByteView(buffer.data(), r.bytes), now_ms());
    observer_.on_client_events();
    if (r.bytes < buffer.size() && !transport_->has_buffered_input()) return total;
  }
  // At the limit: bytes the transport already decoded do not make the socket readable again, so
  // the session's timer brings the link back at once (other sources get their turn first).
  read_more_ = !retired_ && client_ && reading_ && transport_->has_buffered_input();
  return total;
}

void Link::flush() {
  if (!transport_ || !client_ || retired_) return;
  IoResult r = IoResult::ok(0);
  bool progress = false;
  // Chunk headers and payload pieces go out in one gathering write, from where they are.
  rtmp::ByteView slices[kMaxWriteSlices];
  GOutputVector vectors[kMaxWriteSlices];
  while (client_->has_output()) {
    size_t n = client_->output_slices(slices, kMaxWriteSlices);
    for (size_t i = 0; i < n; i++) vectors[i] = GOutputVector{slices[i].data(), slices[i].size()};
    r = transport_->write(vectors, n);
    if (r.status == IoStatus::kOk && r.bytes == 0) r = IoResult::would_block();  // contract breach
    if (r.status != IoStatus::kOk) break;
    client_->consume_output(r.bytes);
    progress = true;
  }
  if (r.status == IoStatus::kOk) r = transport_->flush();
  if (r.status == IoStatus::kWouldBlock) {
    // A stall is a send that makes no progress: a slow link that takes bytes is not one.
    if (write_stall_since_us_ == 0 || progress) write_stall_since_us_ = clock_.now_us();
    // Re-armed every time: the condition to wait for may change (TLS).
    write_watch_.watch_socket(context_, transport_->socket(), transport_->wait_condition());
    return;
  }
  if (r.status == IoStatus::kError || r.status == IoStatus::kClosed) {
    std::string msg = r.status == IoStatus::kClosed ? "connection closed while sending" : r.message;
    fail(r.status == IoStatus::kClosed ? ErrorKind::kDisconnected : r.kind, std::move(msg));
    return;
  }
  write_stall_since_us_ = 0;
  write_watch_.reset();
  observer_.on_flushed();
}

void Link::set_reading(bool reading) {
  if (!transport_ || !established_ || retired_ || reading == reading_) return;
  reading_ = reading;
  read_waiting_ = false;
  if (!reading) {
    read_watch_.reset();
    return;
  }
  read_watch_.watch_socket(context_, transport_->socket(), G_IO_IN);
  // Bytes the transport already decoded do not make the socket readable.
  if (transport_->has_buffered_input()) read();
}

void Link::set_peak_kbps(uint32_t kbps) {
  if (kbps == peak_kbps_) return;
  peak_kbps_ = kbps;
  if (socket_ && !retired_) apply_pacing();
}

// SO_MAX_PACING_RATE in bytes per second, as rtmp2sink sets it (~0 = no cap).
bool Link::apply_pacing() {
  guint rate = peak_kbps_ ? peak_kbps_ * 125u : ~0u;
  GError* error = nullptr;
  if (g_socket_set_option(socket_, SOL_SOCKET, SO_MAX_PACING_RATE, static_cast<gint>(rate), &error))
    return true;
  std::string why = error->message;
  g_error_free(error);
  fail(ErrorKind::kConnectFailed, "cannot cap the send rate at " + std::to_string(peak_kbps_) +
                                      " kbit/s (SO_MAX_PACING_RATE): " + why);
  return false;
}

uint64_t Link::unsent_below_client() const {
  if (!socket_) return 0;
  uint64_t held = transport_ ? transport_->buffered_output() : 0;
  int queued = 0;
  if (ioctl(g_socket_get_fd(socket_), SIOCOUTQ, &queued) != 0 || queued < 0) return held;
  return held + static_cast<uint64_t>(queued);
}

void Link::limit_unsent(uint32_t bytes) {
  if (bytes == unsent_limit_) return;
  unsent_limit_ = bytes;
  if (socket_) apply_unsent_limit();
}

void Link::apply_unsent_limit() {
  // 0: no limit of ours (the kernel's default, "unlimited", is UINT_MAX).
  gint value = unsent_limit_ ? static_cast<gint>(unsent_limit_) : -1;
  g_socket_set_option(socket_, IPPROTO_TCP, TCP_NOTSENT_LOWAT, value, nullptr);
}

void Link::shutdown_write() {
  if (!transport_ || retired_) return;
  transport_->shutdown_write();
  flush();  // what the shutdown could not send at once (a TLS close_notify) waits for writability
}

int64_t Link::next_wakeup_us() const {
  if (!transport_ || !established_ || retired_) return 0;
  if (read_more_) return clock_.now_us();
  return transport_->next_wakeup_us();
}

void Link::on_timer(int64_t now_us) {
  if (!transport_ || !established_ || retired_) return;
  transport_->on_wakeup(now_us);
  if (client_ && reading_ && transport_->has_buffered_input()) read();
  if (!retired_) flush();
}

}  // namespace rtmpsession
