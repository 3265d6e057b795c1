#include "session/lifecycle.hpp"

namespace rtmpsession {

void Lifecycle::cancel() {
  {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
  }
  changed_.notify_all();
}

bool Lifecycle::cancelled() const {
  std::lock_guard lock(mutex_);
  return cancelled_;
}

void Lifecycle::request_finish() {
  std::lock_guard lock(mutex_);
  finish_requested_ = true;
}

bool Lifecycle::finish_requested() const {
  std::lock_guard lock(mutex_);
  return finish_requested_;
}

void Lifecycle::set_flushing(bool flushing) {
  {
    std::lock_guard lock(mutex_);
    flushing_ = flushing;
  }
  changed_.notify_all();
}

void Lifecycle::end() {
  {
    std::lock_guard lock(mutex_);
    ended_ = true;
  }
  changed_.notify_all();
}

bool Lifecycle::ended() const {
  std::lock_guard lock(mutex_);
  return ended_;
}

bool Lifecycle::refuses_media() const {
  std::lock_guard lock(mutex_);
  return ended_ || cancelled_;
}

void Lifecycle::detach() {
  std::lock_guard lock(mutex_);
  detached_ = true;
  changed_.notify_all();  // under the mutex: the waiter may destroy this once it has it
}

void Lifecycle::wait_detached() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return detached_; });
}

bool Lifecycle::wait_ended() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return ended_ || flushing_ || cancelled_; });
  return ended_ && !cancelled_;
}

bool Lifecycle::wait_for(const std::function<bool()>& reached) {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return ended_ || flushing_ || cancelled_ || reached(); });
  return !ended_ && !flushing_ && !cancelled_;
}

}  // namespace rtmpsession
