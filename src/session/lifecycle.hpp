// What other threads ask of a session and wait for, with one mutex and one condition variable:
// cancel (the state change to READY/NULL), finish (the end of stream), flushing, and the end of
// the session. The session's loop thread reads the requests and announces the end and state
// changes.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>

namespace rtmpsession {

class Lifecycle {
 public:
  void cancel();
  bool cancelled() const;
  void request_finish();
  bool finish_requested() const;
  void set_flushing(bool flushing);
  // The session ended (closed, broken or cancelled).
  void end();
  bool ended() const;
  // No more media is taken: ended or cancelled.
  bool refuses_media() const;
  // Something waiters look at changed (the session's state).
  // After a change the waiters' conditions read (the session state): taking the mutex between
  // the change and the notification means no waiter misses it.
  void notify() {
    { std::lock_guard lock(mutex_); }
    changed_.notify_all();
  }

  // The loop is done with the session: it may be destroyed. The last thing the loop's thread
  // does with it (the waiter is notified under the mutex).
  void detach();
  void wait_detached();

  // Waits until the session ended, is flushing or cancelled. True if it ended (and was not
  // cancelled). A flush (a state change while EOS is pending) must not wait for the network.
  bool wait_ended();
  // Waits until `reached()` holds or the session ended, is flushing or cancelled. True if
  // `reached()` (and none of the others).
  bool wait_for(const std::function<bool()>& reached);

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  bool cancelled_ = false;
  bool finish_requested_ = false;
  bool ended_ = false;
  bool flushing_ = false;
  bool detached_ = false;
};

}  // namespace rtmpsession
