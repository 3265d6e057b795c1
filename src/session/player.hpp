// The playing side of a session, without I/O: the incoming queue the source element pulls from,
// its flow control (the session stops reading from the socket while the queue is over its bound,
// so TCP back-pressure reaches the server, and resumes once half of it was taken), seek and
// pause requests, and the discontinuity after a reconnection. It mirrors the publisher's
// MediaQueue: one mutex, one condition variable.
//
// Threads: pull_batch(), seek(), pause(), set_flushing() on the streaming/application threads; the
// on_*() calls and take_requests() on the session's loop thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <vector>

#include "config/connection.hpp"
#include "rtmp/message.hpp"

namespace rtmpsession {

// What Session::pull_batch() (play) gives back.
enum class PullResult {
  kMessage,   // an audio, video or script message
  kEnd,       // the server ended the stream (Play.Stop, Play.Complete, UnpublishNotify, StreamEOF)
  kError,     // the session broke (the error went to the listener)
  kFlushing,  // set_flushing(true) or the session was cancelled
  kTimeout,   // nothing arrived within the given time
};

class Player {
 public:
  explicit Player(const config::PlayOptions& options) : max_bytes_(options.queue_bytes) {}

  // Streaming thread: every queued message, at most `max` (at least one), appended to *out,
  // waiting up to timeout_us (< 0: no limit) for the first: what one read brought goes
  // downstream in one go. A batch never spans a reconnection: the first message of a new
  // connection starts the next batch, and *discont is set for that batch. *resume_reading is set
  // when the session must be woken because reading may go on again.
  PullResult pull_batch(std::vector<rtmp::Message>* out, size_t max, int64_t timeout_us,
                        bool* discont, bool* resume_reading);
  // Recorded streams: drops what is queued, and what arrives until the server confirms the seek.
  // False when it repeats the seek already pending (a demuxer forwards one per pad).
  bool seek(uint32_t ms);
  void pause(bool paused);
  void set_flushing(bool flushing);
  // Any thread: a waiting pull_batch() returns kTimeout now (unless a message or the end is there),
  // so its caller can look again at what it waits for (a property changed).
  void interrupt();
  bool recorded() const { return recorded_.load(); }

  // Loop thread. Media is staged until deliver(): what one read brought becomes visible to
  // pull_batch() at once, with one wake-up of the streaming thread.
  void on_media(rtmp::Message&& m);
  void deliver();
  void on_stream_ended();
  void on_recorded() { recorded_.store(true); }
  void on_seek_done();
  // The session ended (closed, broken or cancelled): pull_batch() returns `result` once the queue
  // is empty (kFlushing: at once).
  void on_session_ended(PullResult result);
  // The next message queued from now on is the first of a new connection.
  void on_reconnected();
  // Whether to read from the socket: false from when the queue reaches its bound until the
  // consumer has taken half of it. Remembers the answer (pull_batch() uses it to ask for a resume).
  bool update_reading();
  bool stream_ended() const;

  struct Requests {
    std::optional<uint32_t> seek_ms;
    std::optional<bool> pause;  // pause (true) or resume (false)
    uint32_t position_ms = 0;   // the last media timestamp, where a pause stops
  };
  Requests take_requests();

 private:
  bool ready() const;
  // kMessage when a message is queued, else what pull_batch() returns (waits up to timeout_us).
  PullResult wait_locked(std::unique_lock<std::mutex>& lock, int64_t timeout_us);
  void pop_locked(std::vector<rtmp::Message>* out, bool* discont);
  bool deliver_locked();  // true when it moved staged messages to the queue

  const size_t max_bytes_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<rtmp::Message> items_;
  std::vector<rtmp::Message>
      staged_;  // from the read being handled (loop thread), not yet in items_
  size_t bytes_ = 0;
  bool reading_paused_ = false;
  size_t discont_after_ = SIZE_MAX;  // messages before the first one of a new connection
  bool stream_ended_ = false;
  bool discard_until_seeked_ = false;
  bool flushing_ = false;
  bool interrupted_ = false;
  std::optional<PullResult> ended_;
  Requests requests_;
  uint32_t last_seek_ms_ = 0;
  uint32_t last_media_ts_ = 0;
  std::atomic<bool> recorded_{false};
};

}  // namespace rtmpsession
