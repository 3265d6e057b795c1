// When a shared event loop runs the sessions other threads woke, without I/O: wake-ups are
// batched so that a loop serving real-time streams runs about once per `bound` instead of once
// per frame and stream.
//
// While the loop is idle, the first wake-up signals it at once (an idle stream's first frame is
// not delayed). Each batch that found work keeps the loop "ticking": it runs again by itself at
// most `bound` later, and ordinary wake-ups in between only join the pending list, without a
// signal (no system call, no context switch). A tick that finds nothing ends the ticking. Urgent
// wake-ups (cancel, end of stream, seek, settings) always signal. A client can also ask, from the
// loop's thread, to run at the next tick (on_defer()), which starts the ticking if needed: the
// timed rounds of all the loop's sessions fall on the same ticks.
// So no wake-up waits longer than `bound` before its session runs. A bound of 0 turns batching
// off: every wake-up signals.
//
// Not thread-safe: the loop calls it under its own mutex.
#pragma once

#include <cstdint>

namespace rtmpsession {

class WakeBatcher {
 public:
  explicit WakeBatcher(int64_t bound_us) : bound_us_(bound_us) {}

  // A session asks to be run. True when the caller must signal the loop now.
  bool on_wake(bool urgent) {
    if (signalled_) return false;
    if (!urgent && ticking_) return false;  // the next tick, at most bound_us_ away, takes it
    signalled_ = true;
    return true;
  }
  // The loop takes the pending sessions at `now` (`had_work`: there were some). Returns when the
  // loop must run again by itself (0: not until signalled).
  int64_t on_batch(int64_t now, bool had_work) {
    signalled_ = false;
    ticking_ = had_work && bound_us_ > 0;
    next_tick_ = ticking_ ? now + bound_us_ : 0;
    return next_tick_;
  }
  // Loop thread: a client asks to run at the next tick (a timed round: publishing drains, play
  // reads). Returns when to arm the tick if this starts the ticking (0: a tick or a dispatch is
  // already due, no later than `now + bound`).
  int64_t on_defer(int64_t now) {
    if (ticking_ || signalled_) return 0;
    ticking_ = true;
    next_tick_ = now + bound_us_;
    return next_tick_;
  }
  // The latest time a wake-up made at `now` is taken (the bound it adds).
  int64_t served_by(int64_t now) const { return ticking_ && !signalled_ ? next_tick_ : now; }
  bool ticking() const { return ticking_; }
  bool signalled() const { return signalled_; }
  int64_t bound_us() const { return bound_us_; }

 private:
  const int64_t bound_us_;
  bool signalled_ = false;
  bool ticking_ = false;
  int64_t next_tick_ = 0;
};

}  // namespace rtmpsession
