// One RTMP connection: drives the sans-I/O client (src/rtmp) over a TCP socket on the thread
// that calls run() (a GstTask in the elements), using a private GMainContext for I/O and timers.
//
// Threads: run() on the session thread; push_media()/finish() on the streaming thread;
// cancel()/stats()/state() from any thread. Lock order: Session::mutex_ before MediaQueue's.
#pragma once

#include <gio/gio.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>

#include "flv/media_headers.hpp"
#include "rtmp/client_connection.hpp"
#include "session/media_queue.hpp"
#include "session/session_types.hpp"
#include "transport/tcp_connector.hpp"
#include "transport/transport.hpp"

namespace rtmpsession {

class Session {
 public:
  Session(SessionConfig config, SessionListener* listener);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // Connects and streams until the session is closed, broken or cancelled. Call once.
  void run();
  // Makes run() return promptly from any phase and unblocks push_media()/finish().
  void cancel();
  // Publishing: queues a message; blocks while the queue is full. False once the session ended.
  bool push_media(rtmp::Message&& message);
  // Unblocks push_media()/pull() for a flush (they fail while flushing); data stays queued.
  void set_flushing(bool flushing);
  // Playing: takes the next message of the played stream, waiting up to timeout_us (< 0: no
  // limit). Reading from the socket pauses while the incoming queue is over its bound.
  // *discont (optional) is set when the message is the first after a reconnection.
  PullResult pull(rtmp::Message* message, int64_t timeout_us, bool* discont = nullptr);
  // Playing a recorded stream: seek (drops what is queued, and what arrives until the server
  // confirms the seek), pause/resume.
  void seek(uint32_t ms);
  void pause(bool paused);
  // Playing: whether the server said the stream is recorded (StreamIsRecorded).
  bool recorded() const { return recorded_.load(); }
  // Publishing, at end of stream: sends what is queued, then the stop commands, closes, and
  // waits (up to the configured timeout after the queue drains) for that. True if closed cleanly.
  bool finish();
  // Waits until the session has reached the streaming state or ended. True if streaming.
  bool wait_streaming();

  SessionStats stats() const;
  State state() const { return state_.load(); }

 private:
  // Session-thread internals.
  void set_state(State s, std::string reason = {});
  void fail(ErrorKind kind, std::string message, std::string code = {});
  void close_done(const char* reason);
  void on_connected(GSocket* socket);
  void continue_establish();
  void start_client();
  void on_wake();
  void read_socket();
  void on_peer_closed();
  void flush_output();
  void drain_queue();
  void pace_drains(bool popped);
  void process_events();
  void handle_client_event(rtmp::ClientEvent& ev);
  void on_play_event(rtmp::ClientEvent& ev);
  // Reconnection (session_reconnect.cpp).
  void start_connection();
  void drop_connection();
  bool try_reconnect(ErrorKind kind, std::string* message);
  void schedule_reconnect(const std::string& reason, uint32_t delay_ms);
  static gboolean on_reconnect_timer_cb(gpointer self);
  void on_stream_resumed();
  bool switch_if_requested(const rtmp::Message& next);
  void on_reconnect_request(const rtmp::commands::StatusInfo& info);
  void on_auth_rejection();
  void send_media(rtmp::Message&& m);
  void update_read_watch();
  void run_play_requests();
  void begin_closing();
  void tick();
  void watch_writable(bool on);
  void arm_phase_deadline();
  void publish_stats();
  void teardown();
  static gboolean on_wake_cb(gint fd, GIOCondition, gpointer self);
  static gboolean on_readable_cb(GSocket*, GIOCondition, gpointer self);
  static gboolean on_writable_cb(GSocket*, GIOCondition, gpointer self);
  static gboolean on_establish_cb(GSocket*, GIOCondition, gpointer self);
  void watch_establish(bool on);
  // A timer at the transport's next_wakeup_us() (session_transport.cpp).
  void create_transport_wakeup();
  void schedule_transport_wakeup(int64_t not_before_us = 0);
  static gboolean on_transport_wakeup_cb(gpointer self);
  static gboolean on_tick_cb(gpointer self);
  static gboolean on_burst_timer_cb(gpointer self);
  void wake();
  uint32_t now_ms() const;

  SessionConfig config_;
  SessionListener* listener_;
  MediaQueue queue_;
  std::atomic<State> state_{State::kIdle};

  mutable std::mutex mutex_;         // guards the fields below up to the session-thread-only ones
  std::condition_variable changed_;  // state changes, for finish()/wait_streaming()
  bool cancel_requested_ = false;
  bool finish_requested_ = false;
  bool ended_ = false;
  bool flushing_ = false;
  // Play: how many queued messages precede the first one of a new connection (SIZE_MAX: none).
  size_t discont_after_ = SIZE_MAX;
  SessionStats stats_;
  // Play: incoming media and requests, guarded by mutex_ as well.
  std::deque<rtmp::Message> incoming_;
  size_t incoming_bytes_ = 0;
  bool stream_ended_ = false;
  bool discard_until_seeked_ = false;
  bool seek_requested_ = false;
  uint32_t seek_ms_ = 0;
  int pause_request_ = -1;  // -1 none, 0 resume, 1 pause
  uint32_t last_media_ts_ = 0;
  std::atomic<bool> recorded_{false};
  // Set while burst_timer_ is armed: push_media() then leaves the draining to the timer.
  std::atomic<bool> burst_{false};

  // Session thread only.
  GMainContext* context_ = nullptr;
  GMainLoop* loop_ = nullptr;
  int wake_fd_ = -1;
  GSource* wake_source_ = nullptr;
  GSource* read_source_ = nullptr;
  GSource* write_source_ = nullptr;
  GSource* tick_source_ = nullptr;
  GSource* burst_timer_ = nullptr;  // see pace_drains()
  bool burst_round_ = false;        // drain_queue() called by burst_timer_
  int64_t last_pop_us_ = 0;         // when drain_queue() last took media from the queue
  GSource* establish_source_ = nullptr;
  GSource* transport_wakeup_ = nullptr;
  std::unique_ptr<Transport> transport_;
  bool established_ = false;  // the transport's set-up (proxy, TLS, tunnel) is done
  std::unique_ptr<TcpConnector> connector_;
  std::unique_ptr<rtmp::ClientConnection> client_;
  int64_t start_us_ = 0;
  int64_t phase_deadline_us_ = 0;  // 0 = none
  int64_t write_stall_since_us_ = 0;
  int64_t close_deadline_us_ = 0;
  bool write_shut_ = false;
  bool read_paused_ = false;
  std::vector<std::unique_ptr<TcpConnector>> retired_connectors_;  // resolver calls pending
  GSource* reconnect_timer_ = nullptr;
  bool streamed_ = false;  // reached publishing/playing at least once
  unsigned attempt_ = 1;   // connection attempt in the current series
  uint32_t reconnects_ = 0;
  bool resuming_ = false;             // the current connection is a reconnection
  bool need_keyframe_ = false;        // after reconnecting: drop media until a video keyframe
  bool reconnect_requested_ = false;  // server's ReconnectRequest, done at the next keyframe
  uint32_t last_sent_ts_ = 0;
  rtmp::MediaHeaders headers_;
  // Authentication (session_reconnect.cpp): the challenge/response over the connections of one
  // connect series, and the query answering the last challenge (appended to app and tcUrl).
  rtmp::auth::Negotiator auth_{{config_.username, config_.password, config_.authmod}};
  std::string auth_query_;
  rtmp::ClientCounters carried_;  // totals of the connections before this one
  std::deque<std::pair<int64_t, uint64_t>> rate_samples_;
  std::vector<uint8_t> read_buffer_;
};

}  // namespace rtmpsession
