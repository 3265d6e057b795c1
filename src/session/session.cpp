#include "session/session.hpp"

#include <algorithm>

#include "rtmp/url.hpp"
#include "session/link_port.hpp"

namespace rtmpsession {

namespace {

// A transport asking for a wake-up already past must not make the loop spin.
constexpr int64_t kMinTransportWakeupUs = 5'000;
constexpr uint32_t kUnsentUnderBound = 16 * 1024;  // TCP_NOTSENT_LOWAT under a latency bound

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
  wait_detached();
}

// ---- Any thread ------------------------------------------------------------------------------

bool Session::cancel_requested() const {
  return lifecycle_.cancelled();
}

void Session::cancel() {
  lifecycle_.cancel();
  publisher_.close();
  player_.on_session_ended(PullResult::kFlushing);
  wake();
}

void Session::set_flushing(bool flushing) {
  publisher_.set_flushing(flushing);
  player_.set_flushing(flushing);
  lifecycle_.set_flushing(flushing);
}

bool Session::push_media(rtmp::MediaMessage&& message) {
  if (lifecycle_.refuses_media()) return false;
  bool wake_loop = false;
  if (!publisher_.push(std::move(message), &wake_loop)) return false;
  if (wake_loop) wake(false);  // batched: at most the loop's bound later
  return true;
}

bool Session::finish() {
  lifecycle_.request_finish();
  wake();
  return lifecycle_.wait_ended() && state_.load() == State::kClosed;
}

PullResult Session::pull_batch(std::vector<rtmp::Message>* messages, size_t max, int64_t timeout_us,
                               bool* discont) {
  bool resume = false;
  PullResult r = player_.pull_batch(messages, max, timeout_us, discont, &resume);
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
  return lifecycle_.wait_for([&] {
    State st = state_.load();
    return st == State::kPublishing || st == State::kPlaying;
  });
}

SessionStats Session::stats() const {
  std::lock_guard lock(mutex_);
  SessionStats s = stats_;
  stats_tracker_.fill(&s, clock_.now_us());
  s.state = state_.load();
  s.queued_bytes = publisher_.queued_bytes();
  s.queued_ms = publisher_.queued_duration_ms();  // current, also while the socket is stalled
  return s;
}

// ---- The state machine -----------------------------------------------------------------------

void Session::set_state(State s, std::string reason) {
  State previous = state_.load();
  if (previous == s) return;
  state_.store(s);
  lifecycle_.notify();
  deadlines_.phase = waits_for_server(s) && connection_.timeout_ms > 0
                         ? clock_.now_us() + int64_t{connection_.timeout_ms} * 1000
                         : 0;
  listener_->on_state(StateChange{s, previous, policy_.attempt(), std::move(reason)});
  if (s == State::kPublishing || s == State::kPlaying) on_streaming();
  publish_stats();
  rearm();
}

void Session::on_streaming() {
  if (connection_.role() == Role::kPlay && !connection_.tunnel && connection_.batch_latency_ms > 0)
    link_->set_read_batching(true);
  if (!policy_.on_streaming()) return;  // not a reconnection
  if (connection_.role() == Role::kPlay) {
    player_.on_reconnected();
    return;
  }
  for (auto& m : publisher_.on_streaming(true)) link_->client()->send_media(m);
}

void Session::fail(ErrorKind kind, std::string message, std::string code) {
  if (lifecycle_.ended()) return;
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
  lifecycle_.end();
  wake();  // the teardown runs on a later turn, not inside a link's callback
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
  links_started_++;
  LinkObserver& observer = *this;
  link_ = std::make_unique<Link>(context_, clock_, connection_, std::move(client), observer,
                                 listener_->logger());
  apply_publish_settings();
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
  deadlines_.phase = 0;
  end_.on_new_connection();
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
  if (connection_.role() == Role::kPlay) {
    player_.deliver();
    update_reading();
  }
  publish_stats();  // so stats are current when a player sees the end of the stream
  rearm();
}

void Session::on_peer_closed() {
  State s = state_.load();
  const std::string& app = connection_.client.connect.app;
  if (s == State::kClosing && link_ && link_->unsent_below_client() > 0) {
    fail(ErrorKind::kUndelivered, "the server closed the connection before it had everything: " +
                                      std::to_string(outstanding_bytes()) + " bytes were lost");
  } else if (s == State::kClosing) {
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

void Session::drain() {
  if (in_drain_ || !link_ || state_.load() != State::kPublishing) return;
  in_drain_ = true;
  LinkPort port(link_, state_);
  Publisher::DrainResult r = publisher_.drain(port, clock_.now_us());
  in_drain_ = false;
  if (r.reconnect) {
    switch_connection();
    return;
  }
  // The next timed round falls on the loop's next tick (with every other session's).
  if (r.next_round_us && !timed_round_) {
    timed_round_ = true;
    defer();
  }
  bool finishing = lifecycle_.finish_requested();
  if (finishing && !end_.started())
    end_.start(clock_.now_us(), outstanding_bytes(), send_rate_bps(clock_.now_us()),
               connection_.timeout_ms);
  if (r.connected && finishing && publisher_.empty() && state_.load() == State::kPublishing)
    begin_closing();
  check_congestion(clock_.now_us());
  rearm();
}

// What is still to reach the server: queued, in the output, and in the kernel.
uint64_t Session::outstanding_bytes() const {
  uint64_t n = publisher_.queued_bytes();
  if (link_ && link_->client()) n += link_->client()->pending_output();
  if (link_) n += link_->unsent_below_client();
  return n;
}

double Session::send_rate_bps(int64_t now) const {
  SessionStats s;
  std::lock_guard lock(mutex_);
  stats_tracker_.fill(&s, now);
  return s.send_rate_bps;
}

void Session::check_congestion(int64_t now) {
  if (connection_.role() != Role::kPublish) return;
  publish_stats();  // the counters and the send rate as of now
  if (link_ && link_->client()) publisher_.on_delivered(LinkPort(link_, state_).delivered());
  CongestionReport r;
  r.queued_ms = publisher_.queued_duration_ms();
  r.queued_bytes = outstanding_bytes();
  if (link_ && link_->client()) {
    r.bytes_sent = link_->client()->counters().bytes_out;
    r.bytes_acked = link_->client()->counters().bytes_acked_by_peer;
  }
  r.send_rate_bps = send_rate_bps(now);
  r.frames_dropped = publisher_.frames_dropped();
  uint32_t threshold = CongestionMonitor::threshold_ms(publisher_.max_latency_ms());
  if (auto report = congestion_.update(r, threshold, now)) listener_->on_congestion(*report);
  deadlines_.congestion = congestion_.next_report_us();
}

// Settings the application changed while publishing: the send-rate cap, the chunk size, the
// latency bound.
void Session::apply_publish_settings() {
  if (connection_.role() != Role::kPublish) return;
  connection_.client.chunk_size = chunk_size_.load();
  if (!link_) return;
  link_->set_peak_kbps(peak_kbps_.load());
  // Under a latency bound the kernel keeps little unsent: the rest waits where it can be dropped.
  link_->limit_unsent(publisher_.max_latency_ms() > 0 ? kUnsentUnderBound : 0);
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
  if (state_.load() != State::kClosing || !link_) return;
  // While the kernel still has bytes for the server, closing could throw them away: look again.
  uint64_t unsent = connection_.role() == Role::kPublish ? link_->unsent_below_client() : 0;
  auto action = end_.on_output_empty(clock_.now_us(), unsent, rtmp::defaults::kCloseWaitMs);
  if (action == EndOfStream::Action::kShutdown) link_->shutdown_write();  // flushes: calls back
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

void Session::on_timer() {
  if (tearing_down_) {
    teardown();
    return;
  }
  collect_retired_links();
  int64_t now = clock_.now_us();
  if (Deadlines::take(deadlines_.reconnect, now)) start_link();
  if (state_.load() == State::kClosing && !end_.shut_down()) after_flush();  // a kernel poll
  if (Deadlines::take(deadlines_.congestion, now)) check_congestion(now);
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
  bool stalled =
      stall && connection_.timeout_ms > 0 && now - stall >= int64_t{connection_.timeout_ms} * 1000;
  // After the end of stream: nothing delivered for `timeout`, or past the drain deadline.
  if (end_.started()) end_.on_outstanding(now, outstanding_bytes());
  if (end_.started() && (stalled || end_.stalled(now) || end_.overdue(now))) {
    bool overdue = end_.overdue(now);
    fail(ErrorKind::kUndelivered, end_.undelivered_text(outstanding_bytes(), now, !overdue));
    return;
  }
  if (stalled) {
    fail(ErrorKind::kTimeout, "timed out after " + secs + ": the server stopped reading");
    return;
  }
  if (end_.close_wait_over(now))
    close_done("everything delivered; the server did not close within 2 s of the end");
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
  int64_t at = deadlines_.earliest({stall_deadline, transport, end_.next_deadline()});
  // The timer runs on GLib's monotonic clock: deadlines are converted from clock_'s scale.
  timer_.arm(at ? g_get_monotonic_time() + std::max<int64_t>(0, at - now) : -1);
}

// Copies what the session's loop thread knows into what stats() reads (the rate is computed there).
void Session::publish_stats() {
  const rtmp::ClientConnection* client = link_ ? link_->client() : nullptr;
  // What the kernel holds (a system call): only publishing reports it.
  uint64_t held = link_ && connection_.role() == Role::kPublish ? link_->unsent_below_client() : 0;
  std::lock_guard lock(mutex_);
  stats_tracker_.update(client ? &client->counters() : nullptr, clock_.now_us(), held);
  stats_.reconnects = policy_.reconnects();
  stats_.attempt = policy_.attempt();
  stats_.dropped_messages = publisher_.dropped_messages();
  stats_.dropped_bytes = publisher_.dropped_bytes();
  stats_.skipped_until_keyframe = publisher_.skipped_until_keyframe();
  stats_.queued_ms = publisher_.queued_duration_ms();
  stats_.frames_dropped = publisher_.frames_dropped();
  stats_.congested = congestion_.congested();
  // The server's answer to connect, described once per connection (not on every read).
  if (client && described_link_ != links_started_ &&
      client->phase() != rtmp::ClientPhase::kHandshaking &&
      client->phase() != rtmp::ClientPhase::kConnectingApp) {
    stats_.server_enhanced_rtmp = rtmp::describe(client->server_capabilities());
    described_link_ = links_started_;
  }
}

}  // namespace rtmpsession
