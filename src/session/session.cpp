#include "session/session.hpp"

#include <glib-unix.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "transport/transport_factory.hpp"

namespace rtmpsession {

namespace {

constexpr size_t kReadChunk = 64 * 1024;
constexpr size_t kMaxPendingOutput = 512 * 1024;  // stop draining the queue above this
constexpr size_t kMaxWriteSlices = 64;            // views per gathering write
constexpr int64_t kBurstGapUs = 1000;             // see Session::pace_drains()
constexpr int64_t kRateWindowUs = 5 * G_USEC_PER_SEC;

const char* waiting_for(State s) {
  switch (s) {
    case State::kHandshaking:
      return "the server's handshake";
    case State::kConnectingApp:
      return "the reply to connect";
    case State::kCreatingStream:
      return "the reply to createStream";
    case State::kStarting:
      return "the server to start the stream";
    default:
      return "the server";
  }
}

}  // namespace

const char* state_name(State s) {
  switch (s) {
    case State::kIdle:
      return "idle";
    case State::kResolving:
      return "resolving";
    case State::kConnecting:
      return "connecting";
    case State::kHandshaking:
      return "handshaking";
    case State::kConnectingApp:
      return "connecting-app";
    case State::kCreatingStream:
      return "creating-stream";
    case State::kStarting:
      return "starting";
    case State::kPublishing:
      return "publishing";
    case State::kPlaying:
      return "playing";
    case State::kReconnecting:
      return "reconnecting";
    case State::kClosing:
      return "closing";
    case State::kClosed:
      return "closed";
    case State::kBroken:
      return "broken";
  }
  return "unknown";
}

Session::Session(SessionConfig config, SessionListener* listener)
    : config_(std::move(config)), listener_(listener), queue_(config_.queue_bytes) {}

Session::~Session() {
  cancel();
}

uint32_t Session::now_ms() const {
  return static_cast<uint32_t>((g_get_monotonic_time() - start_us_) / 1000);
}

void Session::wake() {
  std::lock_guard lock(mutex_);
  if (wake_fd_ >= 0) {
    uint64_t one = 1;
    ssize_t r = write(wake_fd_, &one, sizeof one);
    (void)r;  // a full counter already means "wake up"
  }
}

void Session::cancel() {
  {
    std::lock_guard lock(mutex_);
    cancel_requested_ = true;
  }
  queue_.close();
  changed_.notify_all();
  wake();
}

bool Session::push_media(rtmp::Message&& message) {
  {
    std::lock_guard lock(mutex_);
    if (ended_ || cancel_requested_) return false;
  }
  bool was_empty = false;
  if (!queue_.push(std::move(message), &was_empty)) return false;
  // The loop drains until the queue is empty or the socket is full (then the writable watch
  // resumes it), so only the first message after an empty queue needs to wake it.
  if (was_empty && !burst_.load()) wake();  // else the burst timer takes it (pace_drains())
  return true;
}

bool Session::finish() {
  {
    std::lock_guard lock(mutex_);
    finish_requested_ = true;
  }
  wake();
  std::unique_lock lock(mutex_);
  // A flush (state change to READY/NULL while EOS is pending) must not wait for the network.
  changed_.wait(lock, [&] { return ended_ || flushing_ || cancel_requested_; });
  return ended_ && state_.load() == State::kClosed && !cancel_requested_;
}

void Session::set_flushing(bool flushing) {
  queue_.set_flushing(flushing);
  {
    std::lock_guard lock(mutex_);
    flushing_ = flushing;
  }
  changed_.notify_all();
}

bool Session::wait_streaming() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] {
    State s = state_.load();
    return ended_ || flushing_ || cancel_requested_ || s == State::kPublishing ||
           s == State::kPlaying;
  });
  return !ended_ && !flushing_ && !cancel_requested_;
}

SessionStats Session::stats() const {
  std::lock_guard lock(mutex_);
  SessionStats s = stats_;
  s.state = state_.load();
  s.queued_bytes = queue_.bytes();
  return s;
}

void Session::set_state(State s, std::string reason) {
  State previous = state_.load();
  if (previous == s) return;
  state_.store(s);
  arm_phase_deadline();
  {
    std::lock_guard lock(mutex_);
    stats_.state = s;
  }
  changed_.notify_all();
  listener_->on_state(StateChange{s, previous, attempt_, std::move(reason)});
  if (s == State::kPublishing || s == State::kPlaying) {
    streamed_ = true;
    if (resuming_) on_stream_resumed();
  }
  publish_stats();
}

void Session::arm_phase_deadline() {
  State s = state_.load();
  bool waiting = s == State::kHandshaking || s == State::kConnectingApp ||
                 s == State::kCreatingStream || s == State::kStarting;
  if (waiting && config_.timeout_ms > 0)
    phase_deadline_us_ = g_get_monotonic_time() + int64_t{config_.timeout_ms} * 1000;
  else
    phase_deadline_us_ = 0;
}

void Session::fail(ErrorKind kind, std::string message, std::string code) {
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
  }
  if (try_reconnect(kind, &message)) return;
  SessionError error{kind, state_.load(), std::move(message), std::move(code)};
  publish_stats();
  // The error goes on the bus before anything the streaming thread could post when its push
  // fails (e.g. a generic "Internal data stream error" upstream).
  listener_->on_error(error);
  set_state(State::kBroken, error.message);
  queue_.close();
  {
    std::lock_guard lock(mutex_);
    ended_ = true;
  }
  changed_.notify_all();
  if (loop_) g_main_loop_quit(loop_);
}

void Session::close_done(const char* reason) {
  publish_stats();
  set_state(State::kClosed, reason);
  queue_.close();
  {
    std::lock_guard lock(mutex_);
    ended_ = true;
  }
  changed_.notify_all();
  if (loop_) g_main_loop_quit(loop_);
}

void Session::run() {
  start_us_ = g_get_monotonic_time();
  read_buffer_.resize(kReadChunk);
  context_ = g_main_context_new();
  g_main_context_push_thread_default(context_);
  loop_ = g_main_loop_new(context_, FALSE);
  {
    std::lock_guard lock(mutex_);
    wake_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  }
  wake_source_ = g_unix_fd_source_new(wake_fd_, G_IO_IN);
  g_source_set_callback(wake_source_, G_SOURCE_FUNC(&Session::on_wake_cb), this, nullptr);
  // Nothing iterates the context from a callback. Without this GLib blocks the source for every
  // dispatch, and unblocking it signals the context's own wake-up fd: an extra poll() round and
  // two syscalls per wake-up (per media message when publishing).
  g_source_set_can_recurse(wake_source_, TRUE);
  g_source_attach(wake_source_, context_);
  create_transport_wakeup();
  tick_source_ = g_timeout_source_new(100);
  g_source_set_callback(tick_source_, &Session::on_tick_cb, this, nullptr);
  g_source_attach(tick_source_, context_);

  bool cancelled;
  {
    std::lock_guard lock(mutex_);
    cancelled = cancel_requested_;
  }
  if (!cancelled) start_connection();
  bool ended;
  {
    std::lock_guard lock(mutex_);
    ended = ended_ || cancel_requested_;
  }
  if (!ended) g_main_loop_run(loop_);
  teardown();
}

void Session::teardown() {
  drop_connection();  // keeps the connection's counters for the final stats
  for (auto& c : retired_connectors_) {
    c->cancel();
    while (c->busy()) g_main_context_iteration(context_, TRUE);
  }
  retired_connectors_.clear();
  burst_.store(false);
  for (GSource** s :
       {&wake_source_, &tick_source_, &reconnect_timer_, &burst_timer_, &transport_wakeup_}) {
    if (*s) {
      g_source_destroy(*s);
      g_source_unref(*s);
      *s = nullptr;
    }
  }
  {
    std::lock_guard lock(mutex_);
    close(wake_fd_);
    wake_fd_ = -1;
  }
  publish_stats();
  g_main_context_pop_thread_default(context_);
  g_main_loop_unref(loop_);
  loop_ = nullptr;
  g_main_context_unref(context_);
  context_ = nullptr;
  bool was_ended;
  {
    std::lock_guard lock(mutex_);
    was_ended = ended_;
  }
  if (!was_ended) close_done("cancelled");  // not an error
}

gboolean Session::on_wake_cb(gint fd, GIOCondition, gpointer data) {
  uint64_t count;
  ssize_t r = read(fd, &count, sizeof count);
  (void)r;
  auto* self = static_cast<Session*>(data);
  self->on_wake();
  self->schedule_transport_wakeup();
  return G_SOURCE_CONTINUE;
}

void Session::on_wake() {
  bool cancelled;
  {
    std::lock_guard lock(mutex_);
    cancelled = cancel_requested_;
  }
  if (cancelled) {
    g_main_loop_quit(loop_);
    return;
  }
  if (config_.role == Role::kPlay) {
    run_play_requests();
    update_read_watch();
    // Reading resumed: bytes the transport already decoded do not make the socket readable.
    if (read_source_ && transport_ && transport_->has_buffered_input()) read_socket();
    return;
  }
  drain_queue();
}

gboolean Session::on_readable_cb(GSocket*, GIOCondition, gpointer data) {
  auto* self = static_cast<Session*>(data);
  self->read_socket();
  self->schedule_transport_wakeup();
  return G_SOURCE_CONTINUE;
}

gboolean Session::on_writable_cb(GSocket*, GIOCondition, gpointer data) {
  auto* self = static_cast<Session*>(data);
  // flush_output() may replace this source; keep it alive until the callback returns.
  GSource* source = self->write_source_ ? g_source_ref(self->write_source_) : nullptr;
  self->flush_output();
  if (source) g_source_unref(source);
  self->drain_queue();
  self->schedule_transport_wakeup();
  return G_SOURCE_CONTINUE;
}

gboolean Session::on_tick_cb(gpointer data) {
  auto* self = static_cast<Session*>(data);
  self->tick();
  self->schedule_transport_wakeup();
  return G_SOURCE_CONTINUE;
}

void Session::read_socket() {
  for (int i = 0; i < 16 && transport_ && client_; i++) {
    IoResult r = transport_->read(read_buffer_.data(), read_buffer_.size());
    if (r.status == IoStatus::kWouldBlock) break;
    if (r.status == IoStatus::kError) {
      fail(r.kind, std::move(r.message));
      return;
    }
    if (r.status == IoStatus::kClosed) {
      on_peer_closed();
      return;
    }
    client_->receive(rtmp::ByteView(read_buffer_.data(), r.bytes), now_ms());
    process_events();
    if (state_.load() == State::kBroken || state_.load() == State::kClosed) return;
    if (r.bytes < read_buffer_.size() && !(transport_ && transport_->has_buffered_input())) break;
  }
  if (config_.role == Role::kPlay) update_read_watch();
  flush_output();
  // Replies may have gone out with pending media (disarming the writable watch): keep draining.
  if (config_.role == Role::kPublish) drain_queue();
  publish_stats();  // so stats are current when a player sees the end of the stream
}

void Session::on_peer_closed() {
  State s = state_.load();
  bool play_ended;
  {
    std::lock_guard lock(mutex_);
    play_ended = stream_ended_;
  }
  if (s == State::kClosing) {
    close_done("server closed the connection after the stop commands");
  } else if (s == State::kPlaying && play_ended) {
    close_done("server closed the connection after the end of the stream");
  } else if (s == State::kConnectingApp) {
    fail(ErrorKind::kConnectRejected,
         "server closed the connection in answer to connect (application '" + config_.application +
             "' rejected?)");
  } else if (s == State::kStarting && config_.role == Role::kPublish) {
    fail(ErrorKind::kPublishDenied, "server closed the connection in answer to publishing '" +
                                        config_.stream + "' (publishing denied?)");
  } else {
    fail(ErrorKind::kDisconnected,
         std::string("server closed the connection while ") + state_name(s));
  }
}

void Session::process_events() {
  rtmp::ClientEvent ev;
  while (client_ && client_->next_event(&ev)) {
    handle_client_event(ev);
    if (state_.load() == State::kBroken) return;
  }
}

void Session::handle_client_event(rtmp::ClientEvent& ev) {
  using K = rtmp::ClientEvent::Kind;
  using P = rtmp::ClientPhase;
  switch (ev.kind) {
    case K::kPhaseChanged:
      switch (ev.phase) {
        case P::kHandshaking:
          set_state(State::kHandshaking);
          break;
        case P::kConnectingApp:
          set_state(State::kConnectingApp);
          break;
        case P::kCreatingStream:
          set_state(State::kCreatingStream);
          break;
        case P::kStartingStream:
          set_state(State::kStarting);
          break;
        case P::kStreaming:
          set_state(config_.role == Role::kPublish ? State::kPublishing : State::kPlaying);
          break;
        case P::kClosing:
          set_state(State::kClosing);
          break;
        case P::kIdle:
        case P::kFailed:
          break;
      }
      break;
    case K::kStreamStarted:
      if (config_.role == Role::kPublish)
        drain_queue();
      else
        run_play_requests();
      break;
    case K::kStreamEnded:
    case K::kMedia:
    case K::kRecorded:
    case K::kSeekDone:
      on_play_event(ev);
      break;
    case K::kError: {
      const auto& e = client_->error();
      if (e.kind == ErrorKind::kAuthRequired)
        on_auth_rejection();
      else
        fail(e.kind, e.message, e.code);
      break;
    }
    case K::kStatus:
      if (ev.status.code == "NetConnection.Connect.ReconnectRequest")
        on_reconnect_request(ev.status);
      break;
  }
}

void Session::watch_writable(bool on) {
  if (write_source_) {
    g_source_destroy(write_source_);
    g_source_unref(write_source_);
    write_source_ = nullptr;
  }
  if (!on) return;
  write_source_ =
      g_socket_create_source(transport_->socket(), transport_->wait_condition(), nullptr);
  g_source_set_callback(write_source_, G_SOURCE_FUNC(&Session::on_writable_cb), this, nullptr);
  g_source_set_can_recurse(write_source_, TRUE);  // see wake_source_
  g_source_attach(write_source_, context_);
}

void Session::flush_output() {
  if (!transport_ || !client_) return;
  IoResult r = IoResult::ok(0);
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
  }
  if (r.status == IoStatus::kOk) r = transport_->flush();
  if (r.status == IoStatus::kWouldBlock) {
    if (write_stall_since_us_ == 0) write_stall_since_us_ = g_get_monotonic_time();
    // Re-armed every time: the condition to wait for may change (TLS).
    watch_writable(true);
    return;
  }
  if (r.status == IoStatus::kError || r.status == IoStatus::kClosed) {
    std::string msg = r.status == IoStatus::kClosed ? "connection closed while sending" : r.message;
    fail(r.status == IoStatus::kClosed ? ErrorKind::kDisconnected : r.kind, std::move(msg));
    return;
  }
  write_stall_since_us_ = 0;
  watch_writable(false);
  if (state_.load() == State::kClosing && !write_shut_) {
    // Half-close and wait for the server to close, so nothing we sent is lost to a reset.
    transport_->shutdown_write();
    write_shut_ = true;
    close_deadline_us_ = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
  }
}

void Session::drain_queue() {
  if (!client_ || state_.load() != State::kPublishing) return;
  rtmp::Message m;
  // Fill the output up to the bound, send, and go on until the queue is empty or the socket is
  // full (then the writable watch calls back here). Stopping earlier would strand queued media
  // with nothing left to wake the loop (a streaming thread waiting at EOS pushes no more).
  bool popped = false;
  for (;;) {
    while (client_ && client_->pending_output() < kMaxPendingOutput && queue_.pop(&m)) {
      if (switch_if_requested(m)) {
        queue_.push_front(std::move(m));
        return;
      }
      send_media(std::move(m));
      popped = true;
    }
    flush_output();
    if (!client_ || state_.load() != State::kPublishing || client_->has_output() || queue_.empty())
      break;
  }
  pace_drains(popped);
  bool finishing;
  {
    std::lock_guard lock(mutex_);
    finishing = finish_requested_;
  }
  if (finishing && queue_.empty() && state_.load() == State::kPublishing) begin_closing();
}

// Media pushed faster than real time would wake the loop once per message (eventfd write, poll,
// dispatch: more CPU than sending the message, and a context switch that slows the pipeline).
// Once messages come less than kBurstGapUs apart, the loop instead drains the queue from a timer
// every kBurstGapUs, and push_media() does not wake it, until a round finds the queue empty. So
// bursts cost one wake-up per millisecond and at most that much latency; a stream paced in real
// time keeps one immediate wake-up per message and never arms the timer.
void Session::pace_drains(bool popped) {
  if (!popped) return;
  int64_t now = g_get_monotonic_time();
  bool burst = burst_round_ || now - last_pop_us_ < kBurstGapUs;
  last_pop_us_ = now;
  if (!burst || burst_timer_ || state_.load() != State::kPublishing) return;
  burst_timer_ = g_timeout_source_new(kBurstGapUs / 1000);
  g_source_set_callback(burst_timer_, &Session::on_burst_timer_cb, this, nullptr);
  g_source_attach(burst_timer_, context_);
  burst_.store(true);
}

gboolean Session::on_burst_timer_cb(gpointer data) {
  auto* self = static_cast<Session*>(data);
  g_source_unref(self->burst_timer_);
  self->burst_timer_ = nullptr;
  // Cleared before looking at the queue: a message pushed after this wakes the loop itself, one
  // pushed before is seen by this drain (the queue's mutex orders them).
  self->burst_.store(false);
  self->burst_round_ = true;
  self->drain_queue();
  self->burst_round_ = false;
  return G_SOURCE_REMOVE;
}

void Session::begin_closing() {
  client_->finish();
  process_events();
  flush_output();
}

void Session::tick() {
  int64_t now = g_get_monotonic_time();
  std::string secs = duration_text(config_.timeout_ms);
  if (phase_deadline_us_ && now >= phase_deadline_us_) {
    std::string what = transport_ && !established_ ? transport_->establishing_what()
                                                   : std::string(waiting_for(state_.load()));
    fail(ErrorKind::kTimeout, "timed out after " + secs + " waiting for " + what);
    return;
  }
  if (transport_ && !established_) {
    continue_establish();
    return;
  }
  if (transport_) transport_->on_tick(now);
  if (read_source_ && transport_ && transport_->has_buffered_input()) read_socket();
  if (write_stall_since_us_ && config_.timeout_ms > 0 &&
      now - write_stall_since_us_ >= int64_t{config_.timeout_ms} * 1000) {
    fail(ErrorKind::kTimeout, "timed out after " + secs + ": the server stopped reading");
    return;
  }
  // Safety net: media queued while the socket is idle is sent even if no wake-up came.
  if (config_.role == Role::kPublish && client_ && !client_->has_output() && !queue_.empty())
    drain_queue();
  if (close_deadline_us_ && now >= close_deadline_us_) {
    close_done("stop commands sent; the server did not close within 2 s");
    return;
  }
  publish_stats();
}

void Session::publish_stats() {
  rtmp::ClientCounters c = carried_;
  if (client_) {
    const auto& now = client_->counters();
    c.bytes_out += now.bytes_out;
    c.bytes_in += now.bytes_in;
    c.messages_out += now.messages_out;
    c.messages_in += now.messages_in;
    c.media_messages_out += now.media_messages_out;
    c.bytes_acked_by_peer = now.bytes_acked_by_peer;
    c.out_chunk_size = now.out_chunk_size;
    c.in_chunk_size = now.in_chunk_size;
    c.in_window_ack_size = now.in_window_ack_size;
  }
  int64_t now = g_get_monotonic_time();
  uint64_t bytes = config_.role == Role::kPublish ? c.bytes_out : c.bytes_in;
  if (rate_samples_.empty() || now - rate_samples_.back().first >= G_USEC_PER_SEC / 2)
    rate_samples_.emplace_back(now, bytes);
  while (rate_samples_.size() > 2 && now - rate_samples_.front().first > kRateWindowUs)
    rate_samples_.pop_front();
  std::lock_guard lock(mutex_);
  stats_.bytes_sent = c.bytes_out;
  stats_.bytes_received = c.bytes_in;
  stats_.messages_sent = c.messages_out;
  stats_.messages_received = c.messages_in;
  stats_.media_messages_sent = c.media_messages_out;
  stats_.bytes_acked_by_peer = c.bytes_acked_by_peer;
  stats_.out_chunk_size = c.out_chunk_size;
  stats_.in_chunk_size = c.in_chunk_size;
  stats_.in_window_ack_size = c.in_window_ack_size;
  stats_.reconnects = reconnects_;
  stats_.attempt = attempt_;
  stats_.dropped_messages = queue_.dropped_messages();
  stats_.dropped_bytes = queue_.dropped_bytes();
  const auto& first = rate_samples_.front();
  int64_t span = now - first.first;
  stats_.bitrate_bps =
      span > 0 ? double(bytes - first.second) * 8.0 * G_USEC_PER_SEC / double(span) : 0;
}

}  // namespace rtmpsession
