// Reconnection: after a connection that reached publishing/playing breaks (or the server asks
// with Enhanced RTMP's NetConnection.Connect.ReconnectRequest), connect again with exponential
// backoff; a publisher keeps media within a bound meanwhile, replays metadata and sequence
// headers, and resumes at a video keyframe.
#include <algorithm>

#include "rtmp/url.hpp"
#include "session/session.hpp"
#include "transport/transport_factory.hpp"

namespace rtmpsession {

namespace {

uint32_t backoff_ms(const SessionConfig& c, unsigned attempt) {
  uint64_t delay = c.reconnect_delay_ms;
  for (unsigned i = 1; i < attempt && delay < c.reconnect_max_delay_ms; i++) delay *= 2;
  return static_cast<uint32_t>(std::min<uint64_t>(delay, c.reconnect_max_delay_ms));
}

bool is_frame_to_resume_at(const rtmp::Message& m) {
  return rtmp::is_video_keyframe(m) && !rtmp::is_video_sequence_header(m);
}

}  // namespace

void Session::start_connection() {
  if (connector_) retired_connectors_.push_back(std::move(connector_));
  // Connectors whose resolver call has called back can go (none of them is on the stack here).
  std::erase_if(retired_connectors_, [](const auto& c) { return !c->busy(); });
  TcpConnector::Callbacks cb;
  cb.on_phase = [this](TcpConnector::Phase p) {
    set_state(p == TcpConnector::Phase::kResolving ? State::kResolving : State::kConnecting);
  };
  cb.on_connected = [this](GSocket* s) { on_connected(s); };
  ConnectTarget target;
  std::string error;
  if (!connect_target(config_, &target, &error)) {
    fail(ErrorKind::kBadLocation, std::move(error));
    return;
  }
  // "proxy: connection refused by 127.0.0.1:1080: ..." when it is the proxy that cannot be reached.
  std::string prefix = target.what == "proxy" ? "proxy: " : "";
  cb.on_failed = [this, prefix](ErrorKind k, std::string m) { fail(k, prefix + m); };
  connector_ = std::make_unique<TcpConnector>(context_, target.host, target.port,
                                              config_.timeout_ms, std::move(cb));
  connector_->start();
}

// Forgets the current connection; the session itself (queues, headers, counters) goes on.
void Session::drop_connection() {
  if (connector_) {
    connector_->cancel();
    retired_connectors_.push_back(std::move(connector_));
  }
  for (GSource** s : {&read_source_, &write_source_, &establish_source_}) {
    if (*s) {
      g_source_destroy(*s);
      g_source_unref(*s);
      *s = nullptr;
    }
  }
  transport_.reset();
  established_ = false;
  if (client_) {
    const auto& c = client_->counters();
    carried_.bytes_out += c.bytes_out;
    carried_.bytes_in += c.bytes_in;
    carried_.messages_out += c.messages_out;
    carried_.messages_in += c.messages_in;
    carried_.media_messages_out += c.media_messages_out;
    // The last connection's settings stay visible in stats until the next one has its own.
    carried_.bytes_acked_by_peer = c.bytes_acked_by_peer;
    carried_.out_chunk_size = c.out_chunk_size;
    carried_.in_chunk_size = c.in_chunk_size;
    carried_.in_window_ack_size = c.in_window_ack_size;
    client_.reset();
  }
  write_shut_ = false;
  phase_deadline_us_ = write_stall_since_us_ = close_deadline_us_ = 0;
  std::lock_guard lock(mutex_);
  read_paused_ = false;
}

bool Session::try_reconnect(ErrorKind kind, std::string* message) {
  // Refused credentials are a configuration problem: asking again does not help.
  if (config_.reconnect_attempts == 0 || !streamed_ || kind == ErrorKind::kBadLocation ||
      kind == ErrorKind::kAuthFailed || state_.load() == State::kClosing)
    return false;
  {
    std::lock_guard lock(mutex_);
    if (cancel_requested_) return false;
  }
  if (config_.reconnect_attempts > 0 && resuming_ &&
      attempt_ >= static_cast<unsigned>(config_.reconnect_attempts)) {
    *message = "gave up after " + std::to_string(attempt_) + " reconnection attempt" +
               (attempt_ == 1 ? "" : "s") + ": " + *message;
    return false;
  }
  unsigned next = resuming_ ? attempt_ + 1 : 1;
  drop_connection();
  resuming_ = true;
  attempt_ = next;
  schedule_reconnect(*message, backoff_ms(config_, next));
  return true;
}

void Session::schedule_reconnect(const std::string& reason, uint32_t delay_ms) {
  // A new connection series: the server's challenge (if any) is answered afresh.
  auth_.reset();
  auth_query_.clear();
  if (config_.role == Role::kPublish) queue_.set_drop_oldest(config_.reconnect_buffer_bytes);
  set_state(State::kReconnecting,
            reason + "; attempt " + std::to_string(attempt_) + " in " + duration_text(delay_ms));
  if (reconnect_timer_) {
    g_source_destroy(reconnect_timer_);
    g_source_unref(reconnect_timer_);
  }
  reconnect_timer_ = g_timeout_source_new(delay_ms);
  g_source_set_callback(reconnect_timer_, &Session::on_reconnect_timer_cb, this, nullptr);
  g_source_attach(reconnect_timer_, context_);
}

gboolean Session::on_reconnect_timer_cb(gpointer data) {
  auto* self = static_cast<Session*>(data);
  g_source_unref(self->reconnect_timer_);
  self->reconnect_timer_ = nullptr;
  self->start_connection();
  return G_SOURCE_REMOVE;
}

// Streaming again after a reconnection.
void Session::on_stream_resumed() {
  resuming_ = false;
  reconnects_++;
  if (config_.role == Role::kPlay) {
    std::lock_guard lock(mutex_);
    discont_after_ = incoming_.size();
    return;
  }
  queue_.set_drop_oldest(0);
  for (auto& m : headers_.replay(last_sent_ts_)) client_->send_media(m);
  need_keyframe_ = headers_.has_video();
}

// Every publish message goes through here: it keeps the headers to replay, and after a
// reconnection skips what cannot be decoded before the next keyframe.
void Session::send_media(rtmp::Message&& m) {
  if (need_keyframe_) {
    bool header = rtmp::is_metadata(m) || rtmp::is_video_sequence_header(m) ||
                  rtmp::is_audio_sequence_header(m);
    if (is_frame_to_resume_at(m)) {
      need_keyframe_ = false;
    } else if (!header) {
      std::lock_guard lock(mutex_);
      stats_.skipped_until_keyframe++;
      return;
    }
  }
  headers_.observe(m);
  last_sent_ts_ = m.timestamp;
  client_->send_media(std::move(m));  // its payload is sent from where it is, not copied
}

// A ReconnectRequest is carried out at the next keyframe (or at once for audio-only streams),
// so the new connection starts with a decodable picture. True if `next` must wait for it.
bool Session::switch_if_requested(const rtmp::Message& next) {
  if (!reconnect_requested_) return false;
  if (headers_.has_video() && !is_frame_to_resume_at(next)) return false;
  reconnect_requested_ = false;
  client_->finish();  // FCUnpublish + deleteStream, sent if the socket takes them now
  flush_output();
  drop_connection();
  resuming_ = true;
  attempt_ = 1;
  schedule_reconnect("server requested a reconnection", 0);
  return true;
}

void Session::on_reconnect_request(const rtmp::commands::StatusInfo& info) {
  if (!info.tc_url.empty()) {
    std::string err;
    auto url = rtmp::parse_url(info.tc_url, &err);
    if (url && url->scheme == config_.scheme) {
      config_.host = url->host;
      config_.port = url->port;
      config_.application =
          url->stream.empty() ? url->application : url->application + "/" + url->stream;
      config_.tc_url = info.tc_url;
    }
  }
  if (config_.role == Role::kPublish) {
    reconnect_requested_ = true;
    return;
  }
  drop_connection();
  resuming_ = true;
  attempt_ = 1;
  schedule_reconnect("server requested a reconnection", 0);
}

// The server rejected connect with an authentication challenge: connect again at once with the
// answer in app and tcUrl (not an outage: no backoff, no reconnection attempt counted), or fail.
void Session::on_auth_rejection() {
  std::string code = client_->error().code;
  rtmp::auth::Step step =
      auth_.on_rejection(client_->auth_rejection(), config_.application, g_random_int());
  if (step.action == rtmp::auth::Step::Action::kFail) {
    fail(ErrorKind::kAuthFailed, std::move(step.message), std::move(code));
    return;
  }
  auth_query_ = std::move(step.query);
  drop_connection();
  start_connection();
}

}  // namespace rtmpsession
