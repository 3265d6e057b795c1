// A bounded queue of outgoing media between the streaming thread and the session's loop thread.
// push() blocks while the queue is over its byte bound, which gives the pipeline back-pressure.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <optional>

#include "rtmp/message.hpp"

namespace rtmpsession {

class MediaQueue {
 public:
  explicit MediaQueue(size_t max_bytes) : max_bytes_(max_bytes) {}

  // Blocks while full (unless dropping, see below). Returns false when the queue was closed
  // (session stopped or failed) or is flushing.
  // *was_empty (optional): whether the queue was empty before this message.
  bool push(rtmp::MediaMessage&& m, bool* was_empty = nullptr);
  // Puts a message back at the front (it was taken but cannot be sent yet). Never blocks.
  void push_front(rtmp::MediaMessage&& m);
  // While `bound` > 0 (reconnecting), push() never blocks: the oldest messages are dropped to
  // keep at most `bound` bytes queued. 0 restores blocking at max_bytes.
  void set_drop_oldest(size_t bound);
  uint64_t dropped_messages() const;
  uint64_t dropped_bytes() const;
  // Non-blocking; false when empty.
  bool pop(rtmp::MediaMessage* m);
  // Wakes every blocked push() and makes further pushes fail.
  void close();
  // While flushing, push() returns false at once (and blocked pushes wake up).
  void set_flushing(bool flushing);
  bool flushing() const;
  size_t bytes() const;
  bool empty() const;
  // The timestamp of the first audio or video message queued, if any.
  std::optional<uint32_t> front_media_timestamp() const;

 private:
  mutable std::mutex mutex_;
  std::condition_variable space_;
  std::deque<rtmp::MediaMessage> items_;
  size_t bytes_ = 0;
  size_t max_bytes_;
  bool closed_ = false;
  bool flushing_ = false;
  size_t drop_bound_ = 0;
  uint64_t dropped_messages_ = 0;
  uint64_t dropped_bytes_ = 0;
};

}  // namespace rtmpsession
