#include "session/media_queue.hpp"

namespace rtmpsession {

bool MediaQueue::push(rtmp::MediaMessage&& m, bool* was_empty) {
  std::unique_lock lock(mutex_);
  // One message is always accepted into an empty queue, whatever its size.
  space_.wait(lock, [&] {
    return closed_ || flushing_ || drop_bound_ > 0 || items_.empty() || bytes_ < max_bytes_;
  });
  if (closed_ || flushing_) return false;
  if (was_empty) *was_empty = items_.empty();
  bytes_ += m.payload.size();
  items_.push_back(std::move(m));
  while (drop_bound_ > 0 && bytes_ > drop_bound_ && items_.size() > 1) {
    bytes_ -= items_.front().payload.size();
    dropped_bytes_ += items_.front().payload.size();
    dropped_messages_++;
    items_.pop_front();
  }
  return true;
}

void MediaQueue::push_front(rtmp::MediaMessage&& m) {
  std::lock_guard lock(mutex_);
  bytes_ += m.payload.size();
  items_.push_front(std::move(m));
}

void MediaQueue::set_drop_oldest(size_t bound) {
  std::lock_guard lock(mutex_);
  drop_bound_ = bound;
  space_.notify_all();
}

uint64_t MediaQueue::dropped_messages() const {
  std::lock_guard lock(mutex_);
  return dropped_messages_;
}

uint64_t MediaQueue::dropped_bytes() const {
  std::lock_guard lock(mutex_);
  return dropped_bytes_;
}

bool MediaQueue::pop(rtmp::MediaMessage* m) {
  std::lock_guard lock(mutex_);
  if (items_.empty()) return false;
  *m = std::move(items_.front());
  items_.pop_front();
  bytes_ -= m->payload.size();
  space_.notify_all();
  return true;
}

void MediaQueue::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  space_.notify_all();
}

void MediaQueue::set_flushing(bool flushing) {
  std::lock_guard lock(mutex_);
  flushing_ = flushing;
  space_.notify_all();
}

bool MediaQueue::flushing() const {
  std::lock_guard lock(mutex_);
  return flushing_;
}

size_t MediaQueue::bytes() const {
  std::lock_guard lock(mutex_);
  return bytes_;
}

std::optional<uint32_t> MediaQueue::front_media_timestamp() const {
  std::lock_guard lock(mutex_);
  for (const auto& m : items_)
    if (m.type == uint8_t(rtmp::MessageType::kAudio) ||
        m.type == uint8_t(rtmp::MessageType::kVideo))
      return m.timestamp;
  return std::nullopt;
}

bool MediaQueue::empty() const {
  std::lock_guard lock(mutex_);
  return items_.empty();
}

}  // namespace rtmpsession
