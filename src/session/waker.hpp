// How other threads wake the session loop: an eventfd, written from any thread, watched by the
// loop. Closed by the loop when it ends; a wake() after that does nothing.
#pragma once

#include <mutex>

namespace rtmpsession {

class Waker {
 public:
  Waker() = default;
  ~Waker() { close(); }
  Waker(const Waker&) = delete;
  Waker& operator=(const Waker&) = delete;

  // Session thread: creates the eventfd; returns it for the loop's watch (-1 on failure).
  int open();
  // Any thread: makes the fd readable (several wakes before the loop runs count as one).
  void wake();
  // Session thread: takes the pending wake-ups.
  void drain();
  void close();

 private:
  std::mutex mutex_;  // the fd is closed by the loop while other threads may wake
  int fd_ = -1;
};

}  // namespace rtmpsession
