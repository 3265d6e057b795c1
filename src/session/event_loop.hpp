// The event loops sessions run on. An EventLoop is one GMainContext, run by one thread, that any
// number of sessions attach to: their sockets and timers are sources in it, and other threads
// wake a session through the loop (one eventfd per loop, not per session), batched by a
// WakeBatcher. LoopPool::shared() holds at most one loop thread per processor, started when
// first needed and kept for the life of the process; Session::run() runs a private loop on the
// calling thread instead.
//
// Threads: wake() from any thread; attach()/detach() and the clients' on_loop_wake() on the
// loop's thread (attach() also before the loop runs the client).
#pragma once

#include <glib.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "rtmp/defaults.hpp"
#include "session/glib_source.hpp"
#include "session/wake_batcher.hpp"

namespace rtmpsession {

class LoopClient {
 public:
  virtual ~LoopClient() = default;
  // On the loop's thread, after one or more wake() calls.
  virtual void on_loop_wake() = 0;
};

// A client's place in a loop's wake list; owned by the client, guarded by the loop's mutex.
class LoopSlot {
 public:
  explicit LoopSlot(LoopClient* client) : client_(client) {}

 private:
  friend class EventLoop;
  LoopClient* client_;
  bool attached_ = false;
  bool queued_ = false;
};

class EventLoop {
 public:
  // Wake-ups wait at most `batch_bound_us` for the loop (0: none wait; see WakeBatcher).
  explicit EventLoop(int64_t batch_bound_us);
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  GMainContext* context() const { return context_; }
  // Registers the client and runs it once (on_loop_wake()) as soon as the loop gets to it.
  void attach(LoopSlot* slot);
  // Loop thread: no on_loop_wake() for this client after this returns.
  void detach(LoopSlot* slot);
  // Any thread: runs the client's on_loop_wake() soon; `urgent`: now, not at the next tick.
  void wake(LoopSlot* slot, bool urgent);
  // Loop thread: runs the client's on_loop_wake() at the next tick (at most the batch bound from
  // now), together with every other client due then.
  void defer(LoopSlot* slot);
  size_t clients() const { return clients_.load(); }
  int64_t batch_bound_us() const { return batch_bound_us_; }

  // Runs the loop on a new thread named `name` until the loop is destroyed.
  void start_thread(const char* name);
  // Runs the loop on the calling thread until `done()` holds (checked after every dispatch).
  void run_until(const std::function<bool()>& done);

 private:
  static gpointer thread_main(gpointer self);
  void dispatch();
  void signal_locked();

  const int64_t batch_bound_us_;
  GMainContext* context_;
  int fd_ = -1;  // eventfd: wake-ups from other threads
  std::mutex mutex_;
  std::vector<LoopSlot*> pending_;
  std::vector<LoopSlot*> batch_;  // loop thread: the clients being run
  WakeBatcher batcher_;
  std::atomic<size_t> clients_{0};
  std::atomic<bool> quit_{false};
  GThread* thread_ = nullptr;
  Source fd_watch_{[this] { dispatch(); }};
  Source tick_{[this] { dispatch(); }};
};

// The shared loops: at most one per processor (or RTMP_SESSION_LOOPS) for each batch bound in
// use, each a thread.
class LoopPool {
 public:
  static LoopPool& shared();
  // The loop a new session with batch bound `batch_bound_us` goes to, among the loops of that
  // bound: an empty one, else a new one while under the limit, else the one with the fewest
  // sessions.
  EventLoop& pick(int64_t batch_bound_us = kBatchBoundUs);
  size_t max_loops() const { return max_loops_; }

  // How long a wake-up or a timed round of a shared loop waits at most by default
  // (docs/architecture.md, "The loop"; the elements' batch-latency).
  static constexpr int64_t kBatchBoundUs = rtmp::defaults::kCoalesceUs;

 private:
  LoopPool();
  std::mutex mutex_;
  size_t max_loops_;
  std::vector<std::unique_ptr<EventLoop>> loops_;
};

}  // namespace rtmpsession
