// The publishing side of a session, without I/O: the bounded queue the streaming thread fills
// (back-pressure), and the order in which queued media goes out: metadata and sequence headers
// kept for replay, media after a reconnection resumed at a video keyframe, a server's
// ReconnectRequest carried out at a keyframe. The session asks next() for what to send.
//
// Threads: push(), close(), set_flushing() on the streaming/application threads; everything
// else on the session thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "config/connection.hpp"
#include "flv/media_headers.hpp"
#include "rtmp/message.hpp"
#include "session/media_queue.hpp"

namespace rtmpsession {

class Publisher {
 public:
  explicit Publisher(const config::PublishOptions& options);

  // Streaming thread: queues a message; blocks while the queue is full. False once closed or
  // while flushing. *wake (optional) says whether the session loop must be woken for it.
  bool push(rtmp::Message&& m, bool* wake = nullptr);
  void close() { queue_.close(); }
  void set_flushing(bool flushing) { queue_.set_flushing(flushing); }

  enum class Next {
    kMessage,    // *out is the next message to send
    kEmpty,      // nothing queued
    kReconnect,  // the server asked to reconnect, and this is the moment (at a keyframe)
  };
  // Session thread: the next message to send now.
  Next next(rtmp::Message* out);

  // The connection broke and the session reconnects: keep at most reconnect_buffer_bytes of
  // media meanwhile (oldest dropped), and never block the streaming thread.
  void on_disconnected();
  // A connection streams. After a reconnection: the headers to send first (metadata, then the
  // sequence headers, stamped with the last timestamp sent), and media resumes at a keyframe.
  std::vector<rtmp::Message> on_streaming(bool resuming);
  // The server sent NetConnection.Connect.ReconnectRequest: next() says kReconnect at the next
  // video keyframe (at once for a stream without video).
  void request_reconnect() { reconnect_requested_ = true; }

  // Media pushed faster than real time would wake the loop once per message. Once messages are
  // taken less than kBurstGapUs apart, the loop drains from a timer every kBurstGapUs instead and
  // push() stops asking for wake-ups, until a timed round takes nothing. So bursts cost one
  // wake-up per millisecond and at most that much latency; a stream paced in real time keeps one
  // immediate wake-up per message. begin_timed_round() starts a timed round; drained() ends any
  // round and returns when the next timed round is due (0 = none).
  static constexpr int64_t kBurstGapUs = 1000;
  void begin_timed_round() { burst_.store(false); }
  int64_t drained(int64_t now_us, bool took_media, bool timed_round);

  bool empty() const { return queue_.empty(); }
  size_t queued_bytes() const { return queue_.bytes(); }
  uint64_t dropped_messages() const { return queue_.dropped_messages(); }
  uint64_t dropped_bytes() const { return queue_.dropped_bytes(); }
  uint64_t skipped_until_keyframe() const { return skipped_.load(); }

 private:
  bool resumes_here(const rtmp::Message& m) const;

  config::PublishOptions options_;
  MediaQueue queue_;
  rtmp::MediaHeaders headers_;
  uint32_t last_sent_ts_ = 0;
  bool need_keyframe_ = false;
  bool reconnect_requested_ = false;
  std::atomic<uint64_t> skipped_{0};
  // Burst draining (see drained()): set while a timed round is due; read by push().
  std::atomic<bool> burst_{false};
  int64_t last_take_us_ = 0;
};

}  // namespace rtmpsession
