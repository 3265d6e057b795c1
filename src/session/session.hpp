// One RTMP session: a connection and its reconnections, on an event loop (event_loop.hpp): a
// shared one (start(), the elements) or a private one on the thread that calls run(). The
// session keeps its GLib sources, the current Link (transport and protocol client) and the one
// connection state machine; what has state of its own lives in parts: Publisher (outgoing media),
// Player (incoming media), ReconnectPolicy (attempts, backoff, authentication rounds),
// StatsTracker.
//
// Threads: the loop's thread runs everything but the calls below; push_media()/finish() on the
// streaming thread (sink), pull_batch() on the streaming thread (source); cancel()/stats()/state()
// from any thread. Lock order: Session::mutex_, then the parts' own locks.
#pragma once

#include <gio/gio.h>

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <vector>

#include "config/connection.hpp"
#include "session/clock.hpp"
#include "session/deadlines.hpp"
#include "session/end_of_stream.hpp"
#include "session/event_loop.hpp"
#include "session/glib_source.hpp"
#include "session/lifecycle.hpp"
#include "session/link.hpp"
#include "session/player.hpp"
#include "session/publisher.hpp"
#include "session/reconnect_policy.hpp"
#include "session/session_types.hpp"
#include "session/stats_tracker.hpp"

namespace rtmpsession {

class Session : private LinkObserver, private LoopClient {
 public:
  Session(config::Connection connection, SessionListener* listener,
          const Clock& clock = MonotonicClock::instance());
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Attaches the session to `loop`, where it connects and streams until it is closed, broken or
  // cancelled, then detaches (wait_detached()). Call start() or run() once.
  void start(EventLoop& loop);
  // The same on a private loop run by the calling thread; returns once the session detached.
  void run();
  // Makes the session end promptly from any phase (and run() return) and unblocks
  // push_media()/pull_batch()/finish(). Then wait_detached() before destroying the session.
  void cancel();
  // Waits until the loop is done with the session (at once if it was never started). After
  // cancel() this does not wait for the network.
  void wait_detached();
  // Unblocks push_media()/pull_batch() for a flush (they fail while flushing); data stays queued.
  void set_flushing(bool flushing);

  // Publishing: queues a message; blocks while the queue is full. False once the session ended.
  bool push_media(rtmp::MediaMessage&& message);
  bool push_media(rtmp::Message&& message) {
    return push_media(rtmp::MediaMessage(std::move(message)));
  }
  // At end of stream: sends what is queued, then the stop commands, closes, and waits for that.
  // True if closed cleanly.
  bool finish();

  // Playing: every queued message of the played stream (at most `max`, at least one), appended
  // to *messages, waiting up to timeout_us (< 0: no limit) for the first. *discont (optional)
  // is set when the first is the first after a reconnection. See Player::pull_batch.
  PullResult pull_batch(std::vector<rtmp::Message>* messages, size_t max, int64_t timeout_us,
                        bool* discont = nullptr);
  // A waiting pull_batch() returns kTimeout now (see Player::interrupt).
  void interrupt_pull() { player_.interrupt(); }
  // The batch bound of the loop this session belongs on (connection's batch_latency_ms).
  int64_t batch_bound_us() const { return int64_t{connection_.batch_latency_ms} * 1000; }
  // Recorded streams: seek (drops what is queued until the server confirms), pause/resume.
  void seek(uint32_t ms);
  void pause(bool paused);
  // Whether the server said the played stream is recorded (StreamIsRecorded).
  bool recorded() const { return player_.recorded(); }

  // Publishing: caps the send rate (rtmp2sink's peak-kbps, applied to the socket); 0 = no cap.
  // Takes effect at once, and for every later connection.
  void set_peak_kbps(uint32_t kbps);
  // Publishing: the outgoing chunk size from now on (Set Chunk Size mid-stream, as rtmp2sink's
  // chunk-size may change while playing), and for every later connection.
  void set_chunk_size(uint32_t size);
  // Publishing: the latency bound from now on (ms of media waiting to be sent; 0 = never drop).
  void set_max_latency_ms(uint32_t ms) { publisher_.set_max_latency_ms(ms); }

  // Waits until the session has reached the streaming state or ended. True if streaming.
  bool wait_streaming();
  SessionStats stats() const;
  State state() const { return state_.load(); }

 private:
  // The state machine.
  void set_state(State s, std::string reason = {});
  void on_streaming();
  void fail(ErrorKind kind, std::string message, std::string code = {});
  void close_done(const char* reason);
  void end(PullResult result);
  void handle_client_event(rtmp::ClientEvent& ev);
  void on_play_event(rtmp::ClientEvent& ev);
  void on_client_error();
  // Connections.
  void start_link();
  void retire_link();
  void reconnect_later(const ReconnectPolicy::Decision& decision);
  void on_reconnect_request(const rtmp::commands::StatusInfo& info);
  void switch_connection();
  void collect_retired_links();
  // LinkObserver.
  void on_link_phase(TcpConnector::Phase phase) override;
  void on_link_connected() override;
  void on_link_established() override;
  void on_client_events() override;
  void on_peer_closed() override;
  void on_flushed() override;
  void on_link_failed(ErrorKind kind, std::string message) override;
  void on_link_io() override { rearm(); }
  void on_read_deferred() override {
    read_deferred_ = true;
    defer();
  }
  // LoopClient.
  void on_loop_wake() override { on_wake(); }
  // Publishing and playing on the session's loop thread.
  void drain();
  void begin_closing();
  void apply_publish_settings();
  void check_congestion(int64_t now);
  uint64_t outstanding_bytes() const;
  double send_rate_bps(int64_t now) const;
  void after_flush();
  void run_play_requests();
  void update_reading();
  // The loop: wake-ups and the one timer for every deadline.
  void begin();
  void on_wake();
  void on_timer();
  void rearm();
  void check_deadlines(int64_t now);
  void teardown();
  // Any thread: runs on_wake() on the loop's thread; `urgent` at once, else at most the loop's
  // batch bound later.
  void wake(bool urgent = true);
  // Loop thread: runs on_wake() at the loop's next tick.
  void defer();
  bool cancel_requested() const;
  void publish_stats();

  config::Connection connection_;
  SessionListener* listener_;
  const Clock& clock_;
  Publisher publisher_;
  Player player_;
  ReconnectPolicy policy_;
  StatsTracker stats_tracker_;
  std::atomic<State> state_{State::kIdle};
  LoopSlot slot_{this};
  std::mutex loop_mutex_;      // guards loop_ (a wake() from another thread reads it)
  EventLoop* loop_ = nullptr;  // while attached
  bool ever_started_ = false;  // guarded by loop_mutex_

  Lifecycle lifecycle_;
  mutable std::mutex mutex_;  // guards the fields below up to the session-thread-only ones
  std::atomic<uint32_t> peak_kbps_{0};
  std::atomic<uint32_t> chunk_size_{0};
  SessionStats stats_;

  // Loop thread only.
  GMainContext* context_ = nullptr;
  bool begun_ = false;
  bool tearing_down_ = false;    // waiting for a retired link's resolver call
  bool timed_round_ = false;     // publishing: the next tick is a timed drain round
  uint64_t links_started_ = 0;   // connections made (the current link's number)
  uint64_t described_link_ = 0;  // the link whose server answer stats_ describes
  bool read_deferred_ = false;   // playing: the next tick reads what the socket has
  std::unique_ptr<Link> link_;
  std::vector<std::unique_ptr<Link>> retired_links_;  // destroyed once no call is under way
  Source timer_{[this] { on_timer(); }};
  Deadlines deadlines_;  // timer_ is armed at the earliest
  bool in_drain_ = false;
  CongestionMonitor congestion_;
  EndOfStream end_;
};

}  // namespace rtmpsession
