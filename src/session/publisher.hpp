// The publishing side of a session, without I/O: the bounded queue the streaming thread fills
// (back-pressure), and the order in which queued media goes out: metadata and sequence headers
// kept for replay, media after a reconnection resumed at each video track's key frame, a
// server's ReconnectRequest carried out at a key frame, and the latency bound: when more than
// max_latency_ms of media waits to be sent, video frames are dropped (never audio, headers or
// key frames) and their track waits for its next key frame. The session asks next() for what
// to send and tells on_sent()/on_delivered() how far the bytes got.
//
// Threads: push(), close(), set_flushing() on the streaming/application threads; everything
// else on the session's loop thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <vector>

#include "config/connection.hpp"
#include "flv/media_headers.hpp"
#include "rtmp/message.hpp"
#include "session/keyframe_gate.hpp"
#include "session/media_queue.hpp"

namespace rtmpsession {

// Where the publisher's messages go: the connection's output (Session adapts its Link to it).
class OutputPort {
 public:
  virtual ~OutputPort() = default;
  virtual size_t pending() const = 0;    // bytes in the output, not yet written
  virtual uint64_t written() const = 0;  // bytes written in all
  // Bytes the server has: written, less what the layers below (transport, kernel) still hold
  // for it, unsent or not yet acknowledged.
  virtual uint64_t delivered() const { return written(); }
  virtual void send(rtmp::MediaMessage&& m) = 0;
  // Writes what the socket takes; false when the connection is gone or no longer publishing.
  virtual bool flush() = 0;
};

class Publisher {
 public:
  explicit Publisher(const config::PublishOptions& options);

  // Streaming thread: queues a message; blocks while the queue is full. False once closed or
  // while flushing. *wake (optional) says whether the session loop must be woken for it.
  bool push(rtmp::MediaMessage&& m, bool* wake = nullptr);
  bool push(rtmp::Message&& m, bool* wake = nullptr) {
    return push(rtmp::MediaMessage(std::move(m)), wake);
  }
  void close() { queue_.close(); }
  void set_flushing(bool flushing) { queue_.set_flushing(flushing); }
  // Any thread: the latency bound from now on (0 = never drop).
  void set_max_latency_ms(uint32_t ms) { max_latency_ms_.store(ms); }

  enum class Next {
    kMessage,    // *out is the next message to send
    kEmpty,      // nothing queued
    kReconnect,  // the server asked to reconnect, and this is the moment (at a keyframe)
  };
  // Loop thread: the next message to send now.
  Next next(rtmp::MediaMessage* out);

  struct DrainResult {
    bool reconnect = false;     // carry out the server's ReconnectRequest now
    bool connected = true;      // false: the port's connection went away meanwhile
    int64_t next_round_us = 0;  // when the next timed round of a burst is due (0 = none)
  };
  // Moves queued messages into `port` while its output holds less than a bound (64 KiB under a
  // latency bound, else 512 KiB), writes, and goes on until the queue is empty or the socket is
  // full (then the next flush calls back). Stopping earlier would strand queued media with
  // nothing left to wake the loop (a streaming thread waiting at EOS pushes no more).
  DrainResult drain(OutputPort& port, int64_t now_us);
  // The message next() gave went into the output; its last byte is at `end_offset` of the
  // connection's output (bytes written + pending after queueing it).
  void on_sent(uint32_t timestamp, uint64_t end_offset);
  // The server has `bytes_delivered` bytes of the connection's output in all (written to the
  // socket and no longer held by the kernel).
  void on_delivered(uint64_t bytes_delivered);

  // The connection broke and the session reconnects: keep at most reconnect_buffer_bytes of
  // media meanwhile (oldest dropped), and never block the streaming thread.
  void on_disconnected();
  // A connection streams. After a reconnection: the headers to send first (metadata, then the
  // sequence headers, stamped with the last timestamp sent), and media resumes at a keyframe.
  std::vector<rtmp::Message> on_streaming(bool resuming);
  // The server sent NetConnection.Connect.ReconnectRequest: next() says kReconnect at the next
  // video keyframe (at once for a stream without video).
  void request_reconnect() { reconnect_requested_ = true; }

  // Wake-ups are batched. The first message after a quiet spell wakes the loop (at once, or at
  // the shared loop's next tick); after a round that took media the session drains again at the
  // loop's next tick, at most options.round_us later (the session's batch-latency, the bound of
  // its loop: EventLoop::defer()), and push() does not ask for wake-ups meanwhile; a timed round
  // that takes nothing ends it. So a stream costs at most one wake-up per round (40 ms by
  // default: a 30 fps stream with audio, 25 a second instead of about 75), and media waits at
  // most that long. begin_timed_round() starts a timed round; drained() ends any round and
  // returns when the next timed round is due (0 = none).
  static constexpr int64_t kCoalesceUs = rtmp::defaults::kCoalesceUs;  // the default round
  void begin_timed_round() { burst_.store(false); }
  int64_t drained(int64_t now_us, bool took_media);

  // Media waiting to be sent, in ms: from the oldest message the server does not have yet
  // (queued, in the output, or held by the kernel) to the newest one pushed. Any thread.
  uint32_t queued_duration_ms() const;
  uint32_t max_latency_ms() const { return max_latency_ms_.load(); }

  bool empty() const { return queue_.empty(); }
  size_t queued_bytes() const { return queue_.bytes(); }
  uint64_t dropped_messages() const { return queue_.dropped_messages(); }
  uint64_t dropped_bytes() const { return queue_.dropped_bytes(); }
  uint64_t skipped_until_keyframe() const { return skipped_.load(); }
  uint64_t frames_dropped() const { return latency_dropped_.load(); }  // for the latency bound

 private:
  static bool resumes_here(const rtmp::MediaKind& k);
  // Whether a message classified as `k` goes out; counts it when it does not.
  bool admit(const rtmp::MediaKind& k);

  config::PublishOptions options_;
  MediaQueue queue_;
  rtmp::MediaHeaders headers_;
  KeyframeGate gate_;
  uint32_t last_sent_ts_ = 0;
  bool reconnect_requested_ = false;
  std::atomic<uint32_t> max_latency_ms_;
  std::atomic<uint32_t> newest_ts_{0};  // the last media pushed
  std::atomic<bool> any_pushed_{false};
  std::deque<std::pair<uint64_t, uint32_t>> undelivered_;  // (end offset, timestamp) sent
  // The timestamp at the front of undelivered_ (-1: none), readable from any thread, so that
  // queued_duration_ms() is current also while the session's loop thread waits on a stalled socket.
  std::atomic<int64_t> oldest_undelivered_ts_{-1};
  void note_oldest_undelivered();
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> latency_dropped_{0};
  // Burst draining (see drained()): set while a timed round is due; read by push().
  std::atomic<bool> burst_{false};
};

}  // namespace rtmpsession
