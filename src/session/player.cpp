#include "session/player.hpp"

#include <algorithm>
#include <utility>

namespace rtmpsession {

bool Player::ready() const {
  return flushing_ || interrupted_ || !items_.empty() || stream_ended_ || ended_.has_value();
}

PullResult Player::wait_locked(std::unique_lock<std::mutex>& lock, int64_t timeout_us) {
  if (timeout_us < 0) {
    changed_.wait(lock, [&] { return ready(); });
  } else if (!changed_.wait_for(lock, std::chrono::microseconds(timeout_us),
                                [&] { return ready(); })) {
    return PullResult::kTimeout;
  }
  bool interrupted = std::exchange(interrupted_, false);
  if (flushing_ || ended_ == PullResult::kFlushing) return PullResult::kFlushing;
  if (!items_.empty()) return PullResult::kMessage;
  if (stream_ended_) return PullResult::kEnd;
  if (interrupted && !ended_) return PullResult::kTimeout;
  return ended_.value_or(PullResult::kEnd);
}

void Player::pop_locked(std::vector<rtmp::Message>* out, bool* discont) {
  if (discont_after_ != SIZE_MAX && discont_after_-- == 0) {
    discont_after_ = SIZE_MAX;
    if (discont) *discont = true;
  }
  bytes_ -= items_.front().payload.size();
  out->push_back(std::move(items_.front()));
  items_.pop_front();
}

PullResult Player::pull_batch(std::vector<rtmp::Message>* out, size_t max, int64_t timeout_us,
                              bool* discont, bool* resume_reading) {
  std::unique_lock lock(mutex_);
  PullResult r = wait_locked(lock, timeout_us);
  if (r != PullResult::kMessage) return r;
  size_t before = bytes_;
  size_t taken = 0;
  while (!items_.empty() && taken < std::max<size_t>(max, 1)) {
    if (taken > 0 && discont_after_ == 0) break;  // the first of a new connection starts a batch
    pop_locked(out, discont);
    taken++;
  }
  if (resume_reading)
    *resume_reading = reading_paused_ && bytes_ < max_bytes_ / 2 && before >= max_bytes_ / 2;
  return PullResult::kMessage;
}

bool Player::seek(uint32_t ms) {
  std::lock_guard lock(mutex_);
  // A demuxer forwards the same seek once per output pad: one request to the server is enough.
  if (discard_until_seeked_ && last_seek_ms_ == ms) return false;
  items_.clear();
  staged_.clear();
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

void Player::interrupt() {
  {
    std::lock_guard lock(mutex_);
    interrupted_ = true;
  }
  changed_.notify_all();
}

void Player::on_media(rtmp::Message&& m) {
  std::lock_guard lock(mutex_);
  if (discard_until_seeked_) return;
  last_media_ts_ = m.timestamp;
  bytes_ += m.payload.size();
  staged_.push_back(std::move(m));
}

void Player::deliver() {
  {
    std::lock_guard lock(mutex_);
    if (!deliver_locked()) return;
  }
  changed_.notify_all();
}

bool Player::deliver_locked() {
  if (staged_.empty()) return false;
  for (rtmp::Message& m : staged_) items_.push_back(std::move(m));
  staged_.clear();
  return true;
}

void Player::on_stream_ended() {
  {
    std::lock_guard lock(mutex_);
    deliver_locked();
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
    deliver_locked();
    ended_ = result;
  }
  changed_.notify_all();
}

void Player::on_reconnected() {
  {
    std::lock_guard lock(mutex_);
    deliver_locked();
    discont_after_ = items_.size();
  }
  changed_.notify_all();
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
