#include "session/session.hpp"

#include <algorithm>

#include "rtmp/url.hpp"

namespace rtmpsession {

namespace {

constexpr size_t kMaxPendingOutput = 512 * 1024;  // stop draining the queue above this
// A transport asking for a wake-up already past must not make the loop spin.
constexpr int64_t kMinTransportWakeupUs = 5'000;

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

bool waits_for_server(State s) {
  return s == State::kHandshaking || s == State::kConnectingApp || s == State::kCreatingStream ||
         s == State::kStarting;
}

}  // namespace

Session::Session(config::Connection connection, SessionListener* listener, const Clock& clock)
    : connection_(std::move(connection)),
      listener_(listener),
      clock_(clock),
      publisher_(connection_.publish),
      player_(connection_.play),
      policy_(connection_.reconnect, connection_.credentials),
      stats_tracker_(connection_.role()),
      peak_kbps_(connection_.publish.peak_kbps),
      chunk_size_(connection_.client.chunk_size) {}

Session::~Session() {
  cancel();
}

// ---- Any thread ------------------------------------------------------------------------------

void Session::wake() {
  waker_.wake();
}

bool Session::cancel_requested() const {
  std::lock_guard lock(mutex_);
  return cancel_requested_;
}

void Session::cancel() {
  {
    std::lock_guard lock(mutex_);
    cancel_requested_ = true;
  }
  publisher_.close();
  player_.on_session_ended(PullResult::kFlushing);
  changed_.notify_all();
  wake();
}

void Session::set_flushing(bool flushing) {
  publisher_.set_flushing(flushing);
  player_.set_flushing(flushing);
  {
    std::lock_guard lock(mutex_);
    flushing_ = flushing;
  }
  changed_.notify_all();
}

bool Session::push_media(rtmp::Message&& message) {
  {
    std::lock_guard lock(mutex_);
    if (ended_ || cancel_requested_) return false;
  }
  bool wake_loop = false;
  if (!publisher_.push(std::move(message), &wake_loop)) return false;
  if (wake_loop) wake();
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

PullResult Session::pull(rtmp::Message* message, int64_t timeout_us, bool* discont) {
  bool resume = false;
  PullResult r = player_.pull(message, timeout_us, discont, &resume);
  if (resume) wake();
  return r;
}

void Session::set_peak_kbps(uint32_t kbps) {
  peak_kbps_.store(kbps);
  wake();
}

void Session::set_chunk_size(uint32_t size) {
  chunk_size_.store(size);
  wake();
}

void Session::seek(uint32_t ms) {
  if (player_.seek(ms)) wake();
}

void Session::pause(bool paused) {
  player_.pause(paused);
  wake();
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
  stats_tracker_.fill(&s, clock_.now_us());
  s.state = state_.load();
  s.queued_bytes = publisher_.queued_bytes();
  return s;
}

// ---- The state machine -----------------------------------------------------------------------

void Session::set_state(State s, std::string reason) {
  State previous = state_.load();
  if (previous == s) return;
  state_.store(s);
  deadlines_.phase = waits_for_server(s) && connection_.timeout_ms > 0
                         ? clock_.now_us() + int64_t{connection_.timeout_ms} * 1000
                         : 0;
  changed_.notify_all();
  listener_->on_state(StateChange{s, previous, policy_.attempt(), std::move(reason)});
  if (s == State::kPublishing || s == State::kPlaying) on_streaming();
  publish_stats();
  rearm();
}

void Session::on_streaming() {
  if (!policy_.on_streaming()) return;  // not a reconnection
  if (connection_.role() == Role::kPlay) {
    player_.on_reconnected();
    return;
  }
  for (auto& m : publisher_.on_streaming(true)) link_->client()->send_media(m);
}

void Session::fail(ErrorKind kind, std::string message, std::string code) {
  {
    std::lock_guard lock(mutex_);
    if (ended_) return;
  }
  if (!cancel_requested()) {
    ReconnectPolicy::Decision d =
        policy_.on_failure(kind, &message, state_.load() == State::kClosing);
    if (d.reconnect) {
      reconnect_later(d);
      return;
    }
  }
  SessionError error{kind, state_.load(), std::move(message), std::move(code)};
  publish_stats();
  // The error goes on the bus before anything the streaming thread could post when its push
  // fails (e.g. a generic "Internal data stream error" upstream).
  listener_->on_error(error);
  set_state(State::kBroken, error.message);
  end(PullResult::kError);
}

void Session::close_done(const char* reason) {
  publish_stats();
  set_state(State::kClosed, reason);
  end(PullResult::kEnd);
}

void Session::end(PullResult result) {
  retire_link();
  publisher_.close();
  player_.on_session_ended(result);
  {
    std::lock_guard lock(mutex_);
    ended_ = true;
  }
  changed_.notify_all();
  if (loop_) g_main_loop_quit(loop_);
}

void Session::handle_client_event(rtmp::ClientEvent& ev) {
  using K = rtmp::ClientEvent::Kind;
  using P = rtmp::ClientPhase;
  switch (ev.kind) {
    case K::kPhaseChanged:
      if (ev.phase == P::kHandshaking) set_state(State::kHandshaking);
      if (ev.phase == P::kConnectingApp) set_state(State::kConnectingApp);
      if (ev.phase == P::kCreatingStream) set_state(State::kCreatingStream);
      if (ev.phase == P::kStartingStream) set_state(State::kStarting);
      if (ev.phase == P::kClosing) set_state(State::kClosing);
      if (ev.phase == P::kStreaming)
        set_state(connection_.role() == Role::kPublish ? State::kPublishing : State::kPlaying);
      break;
    case K::kStreamStarted:
      if (connection_.role() == Role::kPublish)
        drain();
      else
        run_play_requests();
      break;
    case K::kStreamEnded:
    case K::kMedia:
    case K::kRecorded:
    case K::kSeekDone:
      on_play_event(ev);
      break;
    case K::kError:
      on_client_error();
      break;
    case K::kStatus:
      if (ev.status.code == "NetConnection.Connect.ReconnectRequest")
        on_reconnect_request(ev.status);
      break;
  }
}

void Session::on_play_event(rtmp::ClientEvent& ev) {
  using K = rtmp::ClientEvent::Kind;
  if (ev.kind == K::kStreamEnded) player_.on_stream_ended();
  if (ev.kind == K::kRecorded) player_.on_recorded();
  if (ev.kind == K::kSeekDone) player_.on_seek_done();
  if (ev.kind == K::kMedia) player_.on_media(std::move(ev.message));
}

// A refused connect with an authentication challenge is answered on a new connection at once
// (not an outage: no backoff, no reconnection attempt counted); other errors fail.
void Session::on_client_error() {
  const rtmp::ClientError& e = link_->client()->error();
  if (e.kind != ErrorKind::kAuthRequired) {
    fail(e.kind, e.message, e.code);
    return;
  }
  std::string code = e.code;
  rtmp::auth::Step step = policy_.on_auth_rejection(link_->client()->auth_rejection(),
                                                    connection_.client.connect.app, g_random_int());
  if (step.action == rtmp::auth::Step::Action::kFail) {
    fail(ErrorKind::kAuthFailed, std::move(step.message), std::move(code));
    return;
  }
  start_link();
}

// ---- Connections -----------------------------------------------------------------------------

void Session::start_link() {
  retire_link();
  rtmp::ClientConfig client = connection_.client;
  client.auth_query = policy_.auth_query();  // answers the previous connection's challenge
  LinkObserver& observer = *this;
  link_ = std::make_unique<Link>(context_, clock_, connection_, std::move(client), observer,
                                 listener_->logger());
  link_->set_peak_kbps(peak_kbps_.load());
  link_->start();
}

// Forgets the current connection; the session itself (queues, headers, counters) goes on.
void Session::retire_link() {
  if (!link_) return;
  link_->retire();
  if (const rtmp::ClientConnection* c = link_->client()) {
    std::lock_guard lock(mutex_);
    stats_tracker_.connection_ended(c->counters());
  }
  retired_links_.push_back(std::move(link_));
  deadlines_.phase = deadlines_.close = 0;
  write_shut_ = false;
}

void Session::collect_retired_links() {
  std::erase_if(retired_links_, [](const auto& l) { return !l->busy(); });
}

void Session::reconnect_later(const ReconnectPolicy::Decision& d) {
  retire_link();
  if (connection_.role() == Role::kPublish) publisher_.on_disconnected();
  set_state(State::kReconnecting, d.reason);
  deadlines_.reconnect = clock_.now_us() + int64_t{d.delay_ms} * 1000;
  rearm();
}

void Session::on_reconnect_request(const rtmp::commands::StatusInfo& info) {
  if (!info.tc_url.empty()) {
    std::string err;
    auto url = rtmp::parse_url(info.tc_url, &err);
    if (url && url->scheme == connection_.scheme) connection_.move_to(*url, info.tc_url);
  }
  if (connection_.role() == Role::kPublish) {
    publisher_.request_reconnect();  // carried out at the next keyframe (drain())
    return;
  }
  switch_connection();
}

void Session::switch_connection() {
  if (link_ && link_->client()) {
    link_->client()->finish();  // FCUnpublish + deleteStream, sent if the socket takes them now
    link_->flush();
  }
  reconnect_later(policy_.on_reconnect_request());
}

// ---- LinkObserver ----------------------------------------------------------------------------

void Session::on_link_phase(TcpConnector::Phase p) {
  set_state(p == TcpConnector::Phase::kResolving ? State::kResolving : State::kConnecting);
}

void Session::on_link_connected() {
  // Proxy negotiation, TLS handshake and opening a tunnel count as connecting, with a deadline.
  if (connection_.timeout_ms > 0)
    deadlines_.phase = clock_.now_us() + int64_t{connection_.timeout_ms} * 1000;
  rearm();
}

void Session::on_link_established() {
  deadlines_.phase = 0;
  {
    std::lock_guard lock(mutex_);
    stats_.transport = link_->transport_description();
  }
  rearm();
}

void Session::on_client_events() {
  rtmp::ClientEvent ev;
  while (link_ && link_->client() && link_->client()->next_event(&ev)) {
    handle_client_event(ev);
    State s = state_.load();
    if (s == State::kBroken || s == State::kClosed) return;
  }
  if (connection_.role() == Role::kPlay) update_reading();
  publish_stats();  // so stats are current when a player sees the end of the stream
  rearm();
}

void Session::on_peer_closed() {
  State s = state_.load();
  const std::string& app = connection_.client.connect.app;
  if (s == State::kClosing) {
    close_done("server closed the connection after the stop commands");
  } else if (s == State::kPlaying && player_.stream_ended()) {
    close_done("server closed the connection after the end of the stream");
  } else if (s == State::kConnectingApp) {
    fail(ErrorKind::kConnectRejected,
         "server closed the connection in answer to connect "
         "(application '" +
             app + "' rejected?)");
  } else if (s == State::kStarting && connection_.role() == Role::kPublish) {
    fail(ErrorKind::kPublishDenied, "server closed the connection in answer to publishing '" +
                                        connection_.client.stream + "' (publishing denied?)");
  } else {
    fail(ErrorKind::kDisconnected,
         std::string("server closed the connection while ") + state_name(s));
  }
}

void Session::on_flushed() {
  after_flush();
  if (!in_drain_ && connection_.role() == Role::kPublish) drain();
}

void Session::on_link_failed(ErrorKind kind, std::string message) {
  fail(kind, std::move(message));
}

// ---- Publishing and playing ------------------------------------------------------------------

// Fills the output up to the bound, sends, and goes on until the queue is empty or the socket is
// full (then the next flush calls back here). Stopping earlier would strand queued media with
// nothing left to wake the loop (a streaming thread waiting at EOS pushes no more).
void Session::drain(bool timed_round) {
  if (in_drain_ || !link_ || state_.load() != State::kPublishing) return;
  in_drain_ = true;
  bool took = false;
  rtmp::Message m;
  for (;;) {
    rtmp::ClientConnection* client = link_->client();
    Publisher::Next next = Publisher::Next::kEmpty;
    while (client->pending_output() < kMaxPendingOutput &&
           (next = publisher_.next(&m)) == Publisher::Next::kMessage) {
      client->send_media(std::move(m));  // its payload is sent from where it is, not copied
      took = true;
    }
    if (next == Publisher::Next::kReconnect) {
      in_drain_ = false;
      switch_connection();
      return;
    }
    link_->flush();
    if (!link_ || state_.load() != State::kPublishing || link_->client()->has_output() ||
        publisher_.empty())
      break;
  }
  in_drain_ = false;
  int64_t burst = publisher_.drained(clock_.now_us(), took, timed_round);
  if (burst && !deadlines_.burst) deadlines_.burst = burst;
  bool finishing;
  {
    std::lock_guard lock(mutex_);
    finishing = finish_requested_;
  }
  if (finishing && publisher_.empty() && state_.load() == State::kPublishing) begin_closing();
  rearm();
}

// Settings the application changed while publishing: the send-rate cap and the chunk size.
void Session::apply_publish_settings() {
  connection_.client.chunk_size = chunk_size_.load();
  if (!link_) return;
  link_->set_peak_kbps(peak_kbps_.load());
  if (rtmp::ClientConnection* c = link_->client()) c->set_chunk_size(chunk_size_.load());
}

void Session::begin_closing() {
  link_->client()->finish();
  on_client_events();
  if (link_) link_->flush();
}

// Once the stop commands are out: half-close and wait for the server to close, so that nothing
// we sent is lost to a reset.
void Session::after_flush() {
  if (state_.load() != State::kClosing || write_shut_ || !link_) return;
  write_shut_ = true;  // first: shutting down flushes, which calls back here
  deadlines_.close = clock_.now_us() + int64_t{rtmp::defaults::kCloseWaitMs} * 1000;
  link_->shutdown_write();
  rearm();
}

void Session::run_play_requests() {
  if (!link_ || state_.load() != State::kPlaying) return;
  Player::Requests r = player_.take_requests();
  if (r.seek_ms) link_->client()->seek(*r.seek_ms);
  if (r.pause) link_->client()->pause(*r.pause, r.position_ms);
  link_->flush();
}

// Reading stops while the consumer is behind (TCP back-pressure reaches the server) and resumes
// once it has taken half of what was queued.
void Session::update_reading() {
  if (link_) link_->set_reading(player_.update_reading());
}

// ---- The loop --------------------------------------------------------------------------------

void Session::run() {
  context_ = g_main_context_new();
  g_main_context_push_thread_default(context_);
  loop_ = g_main_loop_new(context_, FALSE);
  wake_watch_.watch_fd(context_, waker_.open(), G_IO_IN);
  timer_.create_timer(context_);
  if (!cancel_requested()) start_link();
  bool ended;
  {
    std::lock_guard lock(mutex_);
    ended = ended_ || cancel_requested_;
  }
  if (!ended) g_main_loop_run(loop_);
  teardown();
}

void Session::teardown() {
  retire_link();  // keeps the connection's counters for the final stats
  for (auto& l : retired_links_)
    while (l->busy()) g_main_context_iteration(context_, TRUE);
  retired_links_.clear();
  for (Source* s : {&wake_watch_, &timer_}) s->reset();
  waker_.close();
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

void Session::on_wake() {
  waker_.drain();
  collect_retired_links();
  if (cancel_requested()) {
    g_main_loop_quit(loop_);
    return;
  }
  if (connection_.role() == Role::kPlay) {
    run_play_requests();
    update_reading();
  } else {
    apply_publish_settings();
    drain();
  }
  rearm();
}

void Session::on_timer() {
  collect_retired_links();
  int64_t now = clock_.now_us();
  if (Deadlines::take(deadlines_.reconnect, now)) start_link();
  if (Deadlines::take(deadlines_.burst, now)) {
    publisher_.begin_timed_round();
    drain(true);
  }
  check_deadlines(now);
  if (link_ && link_->next_wakeup_us() && now >= link_->next_wakeup_us()) link_->on_timer(now);
  rearm();
}

void Session::check_deadlines(int64_t now) {
  std::string secs = duration_text(connection_.timeout_ms);
  if (deadlines_.phase && now >= deadlines_.phase) {
    std::string what = link_ && !link_->established() ? link_->establishing_what()
                                                      : std::string(waiting_for(state_.load()));
    fail(ErrorKind::kTimeout, "timed out after " + secs + " waiting for " + what);
    return;
  }
  int64_t stall = link_ ? link_->write_stall_since_us() : 0;
  if (stall && connection_.timeout_ms > 0 &&
      now - stall >= int64_t{connection_.timeout_ms} * 1000) {
    fail(ErrorKind::kTimeout, "timed out after " + secs + ": the server stopped reading");
    return;
  }
  if (deadlines_.close && now >= deadlines_.close)
    close_done("stop commands sent; the server did not close within 2 s");
}

// The timer goes off at the earliest deadline.
void Session::rearm() {
  if (!timer_.active()) return;
  int64_t now = clock_.now_us();
  int64_t stall = link_ ? link_->write_stall_since_us() : 0;
  int64_t stall_deadline =
      stall && connection_.timeout_ms ? stall + int64_t{connection_.timeout_ms} * 1000 : 0;
  int64_t transport = link_ ? link_->next_wakeup_us() : 0;
  if (transport) transport = std::max(transport, now + kMinTransportWakeupUs);
  int64_t at = deadlines_.earliest({stall_deadline, transport});
  // The timer runs on GLib's monotonic clock: deadlines are converted from clock_'s scale.
  timer_.arm(at ? g_get_monotonic_time() + std::max<int64_t>(0, at - now) : -1);
}

// Copies what the session thread knows into what stats() reads (the rate is computed there).
void Session::publish_stats() {
  const rtmp::ClientConnection* client = link_ ? link_->client() : nullptr;
  std::lock_guard lock(mutex_);
  stats_tracker_.update(client ? &client->counters() : nullptr, clock_.now_us());
  stats_.reconnects = policy_.reconnects();
  stats_.attempt = policy_.attempt();
  stats_.dropped_messages = publisher_.dropped_messages();
  stats_.dropped_bytes = publisher_.dropped_bytes();
  stats_.skipped_until_keyframe = publisher_.skipped_until_keyframe();
  if (client && client->phase() != rtmp::ClientPhase::kHandshaking &&
      client->phase() != rtmp::ClientPhase::kConnectingApp)
    stats_.server_enhanced_rtmp = rtmp::describe(client->server_capabilities());
}

}  // namespace rtmpsession
