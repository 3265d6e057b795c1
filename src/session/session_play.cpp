// The play side of the session: the incoming queue the source element pulls from, read
// back-pressure, seek and pause requests.
#include <chrono>

#include "session/session.hpp"

namespace rtmpsession {

PullResult Session::pull(rtmp::Message* message, int64_t timeout_us, bool* discont) {
  std::unique_lock lock(mutex_);
  auto ready = [&] {
    return flushing_ || cancel_requested_ || !incoming_.empty() || stream_ended_ || ended_;
  };
  if (timeout_us < 0) {
    changed_.wait(lock, ready);
  } else if (!changed_.wait_for(lock, std::chrono::microseconds(timeout_us), ready)) {
    return PullResult::kTimeout;
  }
  if (flushing_ || cancel_requested_) return PullResult::kFlushing;
  if (!incoming_.empty()) {
    *message = std::move(incoming_.front());
    incoming_.pop_front();
    if (discont_after_ != SIZE_MAX && discont_after_-- == 0) {
      discont_after_ = SIZE_MAX;
      if (discont) *discont = true;
    }
    size_t before = incoming_bytes_;
    incoming_bytes_ -= message->payload.size();
    bool resume = read_paused_ && incoming_bytes_ < config_.queue_bytes / 2 &&
                  before >= config_.queue_bytes / 2;
    lock.unlock();
    if (resume) wake();
    return PullResult::kMessage;
  }
  if (stream_ended_) return PullResult::kEnd;
  return state_.load() == State::kBroken ? PullResult::kError : PullResult::kEnd;
}

void Session::seek(uint32_t ms) {
  {
    std::lock_guard lock(mutex_);
    // A demuxer forwards the same seek once per output pad: one request to the server is enough.
    if (discard_until_seeked_ && seek_ms_ == ms) return;
    incoming_.clear();
    incoming_bytes_ = 0;
    discont_after_ = SIZE_MAX;
    stream_ended_ = false;
    discard_until_seeked_ = true;
    seek_requested_ = true;
    seek_ms_ = ms;
  }
  wake();
}

void Session::pause(bool paused) {
  {
    std::lock_guard lock(mutex_);
    pause_request_ = paused ? 1 : 0;
  }
  wake();
}

void Session::run_play_requests() {
  if (!client_ || state_.load() != State::kPlaying) return;
  bool seek;
  uint32_t seek_ms, position;
  int pause;
  {
    std::lock_guard lock(mutex_);
    seek = seek_requested_;
    seek_ms = seek_ms_;
    pause = pause_request_;
    position = last_media_ts_;
    seek_requested_ = false;
    pause_request_ = -1;
  }
  if (seek) client_->seek(seek_ms);
  if (pause >= 0) client_->pause(pause == 1, position);
  flush_output();
}

// Reading stops while the consumer is behind (TCP back-pressure reaches the server) and resumes
// once it has taken half of what was queued.
void Session::update_read_watch() {
  if (!transport_ || !established_) return;
  bool full;
  {
    std::lock_guard lock(mutex_);
    full = incoming_bytes_ >= config_.queue_bytes ||
           (read_paused_ && incoming_bytes_ >= config_.queue_bytes / 2);
  }
  if (full && read_source_) {
    g_source_destroy(read_source_);
    g_source_unref(read_source_);
    read_source_ = nullptr;
  } else if (!full && !read_source_) {
    read_source_ = g_socket_create_source(transport_->socket(), G_IO_IN, nullptr);
    g_source_set_callback(read_source_, G_SOURCE_FUNC(&Session::on_readable_cb), this, nullptr);
    g_source_attach(read_source_, context_);
  }
  std::lock_guard lock(mutex_);
  read_paused_ = read_source_ == nullptr;
}

void Session::on_play_event(rtmp::ClientEvent& ev) {
  using K = rtmp::ClientEvent::Kind;
  {
    std::lock_guard lock(mutex_);
    switch (ev.kind) {
      case K::kStreamEnded:
        if (!discard_until_seeked_) stream_ended_ = true;
        break;
      case K::kRecorded:
        recorded_.store(true);
        break;
      case K::kSeekDone:
        discard_until_seeked_ = false;
        break;
      case K::kMedia:
        if (discard_until_seeked_) return;
        last_media_ts_ = ev.message.timestamp;
        incoming_bytes_ += ev.message.payload.size();
        incoming_.push_back(std::move(ev.message));
        break;
      default:
        return;
    }
  }
  changed_.notify_all();
}

}  // namespace rtmpsession
