// The end of a publication, without I/O. What is queued, in the output and in the kernel's send
// buffer must reach the server before the connection is closed (closing a socket with unsent
// data throws the data away): once the stop commands are out, the session waits until the
// kernel holds nothing more for the server, half-closes, and waits (kCloseWaitMs at most) for
// the server to close. All of it has a deadline that scales with what was left at the end of
// stream: the `timeout` property plus twice the time the rest takes at the measured send rate
// (what reached the server per second). It gives up earlier when nothing at all was delivered
// for `timeout`.
#pragma once

#include <cstdint>
#include <string>

namespace rtmpsession {

class EndOfStream {
 public:
  static constexpr double kMinRateBps = 64'000;  // a floor for the rate estimate
  static constexpr int64_t kPollUs = 20'000;     // how often the kernel's queue is looked at

  // The end of stream came at `now_us` with `outstanding_bytes` still to deliver, going at
  // `rate_bps`. timeout_ms 0: no deadline.
  void start(int64_t now_us, uint64_t outstanding_bytes, double rate_bps, uint32_t timeout_ms);
  bool started() const { return started_; }

  enum class Action { kWait, kShutdown, kDone };
  // The output is empty (the stop commands went to the kernel); the kernel still holds
  // `in_kernel` bytes for the server. kShutdown: half-close now; kWait: call again at
  // next_deadline(); kDone: already shut down.
  Action on_output_empty(int64_t now_us, uint64_t in_kernel, uint32_t close_wait_ms);
  bool shut_down() const { return shut_down_; }
  // The delivery deadline passed (the session fails with undelivered_text()).
  bool overdue(int64_t now_us) const { return deadline_us_ && now_us >= deadline_us_; }
  // What is still to be delivered (queued, in the output, in the kernel), as of `now_us`; any
  // change is progress.
  void on_outstanding(int64_t now_us, uint64_t outstanding);
  // Nothing was delivered for the timeout (the session fails with undelivered_text()).
  bool stalled(int64_t now_us) const {
    return timeout_us_ && outstanding_ > 0 && now_us - progress_us_ >= timeout_us_;
  }
  // The server did not close within close_wait_ms of the half-close (the data was delivered).
  bool close_wait_over(int64_t now_us) const { return close_at_us_ && now_us >= close_at_us_; }
  // The earliest time something is to be done (0 = nothing).
  int64_t next_deadline() const;
  // "1234567 bytes were not delivered to the server within 12.5 s after the end of stream ...",
  // and why it gave up: no progress for the timeout (`stalled`), or past the deadline.
  std::string undelivered_text(uint64_t bytes, int64_t now_us, bool stalled) const;
  // A new connection (after a reconnection): its output and kernel start empty; the delivery
  // deadline stays.
  void on_new_connection();

 private:
  bool started_ = false;
  bool shut_down_ = false;
  int64_t started_us_ = 0;
  int64_t deadline_us_ = 0;
  int64_t poll_at_us_ = 0;
  int64_t close_at_us_ = 0;
  int64_t timeout_us_ = 0;
  uint64_t outstanding_ = 0;  // as last seen
  int64_t progress_us_ = 0;   // when it last changed
};

}  // namespace rtmpsession
