#include "session/player.hpp"

namespace rtmpsession {

bool Player::ready() const {
  return flushing_ || !items_.empty() || stream_ended_ || ended_.has_value();
}

PullResult Player::pull(rtmp::Message* out, int64_t timeout_us, bool* discont,
                        bool* resume_reading) {
  std::unique_lock lock(mutex_);
  if (timeout_us < 0) {
    changed_.wait(lock, [&] { return ready(); });
  } else if (!changed_.wait_for(lock, std::chrono::microseconds(timeout_us),
                                [&] { return ready(); })) {
    return PullResult::kTimeout;
  }
  if (flushing_ || ended_ == PullResult::kFlushing) return PullResult::kFlushing;
  if (!items_.empty()) {
    *out = std::move(items_.front());
    items_.pop_front();
    if (discont_after_ != SIZE_MAX && discont_after_-- == 0) {
      discont_after_ = SIZE_MAX;
      if (discont) *discont = true;
    }
    size_t before = bytes_;
    bytes_ -= out->payload.size();
    if (resume_reading)
      *resume_reading = reading_paused_ && bytes_ < max_bytes_ / 2 && before >= max_bytes_ / 2;
    return PullResult::kMessage;
  }
  if (stream_ended_) return PullResult::kEnd;
  return ended_.value_or(PullResult::kEnd);
}

bool Player::seek(uint32_t ms) {
  std::lock_guard lock(mutex_);
  // A demuxer forwards the same seek once per output pad: one request to the server is enough.
  if (discard_until_seeked_ && last_seek_ms_ == ms) return false;
  items_.clear();
  bytes_ = 0;
  discont_after_ = SIZE_MAX;
  stream_ended_ = false;
  discard_until_seeked_ = true;
  requests_.seek_ms = ms;
  last_seek_ms_ = ms;
  return true;
}

void Player::pause(bool paused) {
  std::lock_guard lock(mutex_);
  requests_.pause = paused;
}

void Player::set_flushing(bool flushing) {
  {
    std::lock_guard lock(mutex_);
    flushing_ = flushing;
  }
  changed_.notify_all();
}

void Player::on_media(rtmp::Message&& m) {
  bool was_empty;
  {
    std::lock_guard lock(mutex_);
    if (discard_until_seeked_) return;
    last_media_ts_ = m.timestamp;
    bytes_ += m.payload.size();
    was_empty = items_.empty();
    items_.push_back(std::move(m));
  }
  // pull() waits only while the queue is empty: the messages of one read wake it once.
  if (was_empty) changed_.notify_all();
}

void Player::on_stream_ended() {
  {
    std::lock_guard lock(mutex_);
    if (!discard_until_seeked_) stream_ended_ = true;
  }
  changed_.notify_all();
}

void Player::on_seek_done() {
  std::lock_guard lock(mutex_);
  discard_until_seeked_ = false;
}

void Player::on_session_ended(PullResult result) {
  {
    std::lock_guard lock(mutex_);
    ended_ = result;
  }
  changed_.notify_all();
}

void Player::on_reconnected() {
  std::lock_guard lock(mutex_);
  discont_after_ = items_.size();
}

bool Player::update_reading() {
  std::lock_guard lock(mutex_);
  bool full = bytes_ >= max_bytes_ || (reading_paused_ && bytes_ >= max_bytes_ / 2);
  reading_paused_ = full;
  return !full;
}

bool Player::stream_ended() const {
  std::lock_guard lock(mutex_);
  return stream_ended_;
}

Player::Requests Player::take_requests() {
  std::lock_guard lock(mutex_);
  Requests r = requests_;
  r.position_ms = last_media_ts_;
  requests_ = Requests{};
  return r;
}

}  // namespace rtmpsession
