// The session's side of the transport stack: building it on a connected socket, driving its
// set-up (proxy, TLS, tunnel) under the connecting deadline, and waking it when it asks to be
// (RTMPT polls) rather than on the 100 ms tick.
#include <algorithm>

#include "session/session.hpp"
#include "transport/transport_factory.hpp"

namespace rtmpsession {

namespace {

// A source that only has a ready time (set by schedule_transport_wakeup()).
gboolean dispatch_ready_time(GSource*, GSourceFunc callback, gpointer data) {
  return callback(data);
}

GSourceFuncs ready_time_funcs = {nullptr, nullptr, dispatch_ready_time, nullptr, nullptr, nullptr};

}  // namespace

void Session::on_connected(GSocket* socket) {
  transport_ = make_transport(config_, socket);
  established_ = false;
  // Proxy negotiation and TLS handshake count as connecting, with their own deadline.
  if (config_.timeout_ms > 0)
    phase_deadline_us_ = g_get_monotonic_time() + int64_t{config_.timeout_ms} * 1000;
  continue_establish();
}

void Session::continue_establish() {
  if (!transport_ || established_) return;
  IoResult r = transport_->establish();
  switch (r.status) {
    case IoStatus::kOk:
      watch_establish(false);
      established_ = true;
      phase_deadline_us_ = 0;
      {
        std::lock_guard lock(mutex_);
        stats_.transport = transport_->describe();
      }
      start_client();
      return;
    case IoStatus::kWouldBlock:
      watch_establish(true);
      return;
    case IoStatus::kClosed:
      watch_establish(false);
      fail(ErrorKind::kConnectFailed,
           "connection closed during " + transport_->establishing_what());
      return;
    case IoStatus::kError:
      watch_establish(false);
      fail(r.kind, std::move(r.message));
      return;
  }
}

void Session::watch_establish(bool on) {
  if (establish_source_) {
    g_source_destroy(establish_source_);
    g_source_unref(establish_source_);
    establish_source_ = nullptr;
  }
  if (!on) return;
  establish_source_ =
      g_socket_create_source(transport_->socket(), transport_->wait_condition(), nullptr);
  g_source_set_callback(establish_source_, G_SOURCE_FUNC(&Session::on_establish_cb), this, nullptr);
  g_source_attach(establish_source_, context_);
}

gboolean Session::on_establish_cb(GSocket*, GIOCondition, gpointer data) {
  auto* self = static_cast<Session*>(data);
  // continue_establish() replaces this source; keep it alive until the callback returns.
  GSource* source = self->establish_source_ ? g_source_ref(self->establish_source_) : nullptr;
  self->continue_establish();
  if (source) g_source_unref(source);
  return G_SOURCE_CONTINUE;
}

void Session::start_client() {
  read_source_ = g_socket_create_source(transport_->socket(), G_IO_IN, nullptr);
  g_source_set_callback(read_source_, G_SOURCE_FUNC(&Session::on_readable_cb), this, nullptr);
  g_source_set_can_recurse(read_source_, TRUE);  // see wake_source_
  g_source_attach(read_source_, context_);

  rtmp::ClientConfig cc;
  cc.mode = config_.role == Role::kPublish ? rtmp::ClientMode::kPublish : rtmp::ClientMode::kPlay;
  cc.app = config_.application;
  cc.stream = config_.stream;
  cc.tc_url = config_.tc_url;
  if (!config_.flash_version.empty()) cc.flash_ver = config_.flash_version;
  cc.swf_url = config_.swf_url;
  cc.page_url = config_.page_url;
  cc.connect_args = config_.connect_args;
  cc.handshake = config_.handshake;
  cc.chunk_size = config_.chunk_size;
  cc.play_buffer_ms = config_.play_buffer_ms;
  cc.auth_query = auth_query_;  // answers the previous connection's authentication challenge
  cc.secure_token = config_.secure_token;
  cc.play_start = config_.play_start;
  std::vector<uint8_t> random(1528);
  for (auto& b : random) b = static_cast<uint8_t>(g_random_int());
  client_ = std::make_unique<rtmp::ClientConnection>(std::move(cc), random, now_ms());
  client_->start();
  process_events();
  flush_output();
  // Bytes a layer already holds (sent right after a proxy's reply or the TLS handshake) do not
  // make the socket readable again.
  if (client_ && transport_ && transport_->has_buffered_input()) read_socket();
}

void Session::create_transport_wakeup() {
  transport_wakeup_ = g_source_new(&ready_time_funcs, sizeof(GSource));
  g_source_set_callback(transport_wakeup_, &Session::on_transport_wakeup_cb, this, nullptr);
  g_source_set_ready_time(transport_wakeup_, -1);
  g_source_attach(transport_wakeup_, context_);
}

void Session::schedule_transport_wakeup(int64_t not_before_us) {
  if (!transport_wakeup_) return;
  int64_t at = transport_ && established_ ? transport_->next_wakeup_us() : 0;
  if (at <= 0)
    at = -1;  // nothing asked: the tick is enough
  else
    at = std::max(at, not_before_us);
  if (g_source_get_ready_time(transport_wakeup_) != at)
    g_source_set_ready_time(transport_wakeup_, at);
}

gboolean Session::on_transport_wakeup_cb(gpointer data) {
  auto* self = static_cast<Session*>(data);
  g_source_set_ready_time(self->transport_wakeup_, -1);
  if (self->transport_ && self->established_) {
    self->transport_->on_tick(g_get_monotonic_time());
    if (self->client_ && self->transport_->has_buffered_input()) self->read_socket();
    self->flush_output();
  }
  // A transport still asking for a time already past must not make the loop spin.
  self->schedule_transport_wakeup(g_get_monotonic_time() + 5000);
  return G_SOURCE_CONTINUE;
}

}  // namespace rtmpsession
