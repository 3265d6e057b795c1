#include "session/end_of_stream.hpp"

#include <algorithm>

namespace rtmpsession {

void EndOfStream::start(int64_t now_us, uint64_t outstanding_bytes, double rate_bps,
                        uint32_t timeout_ms) {
  if (started_) return;
  started_ = true;
  started_us_ = now_us;
  outstanding_ = outstanding_bytes;
  progress_us_ = now_us;
  timeout_us_ = int64_t{timeout_ms} * 1000;
  if (timeout_ms == 0) return;
  double rate = std::max(rate_bps, kMinRateBps);
  auto expected_us = static_cast<int64_t>(double(outstanding_bytes) * 8.0 / rate * 1e6);
  deadline_us_ = now_us + int64_t{timeout_ms} * 1000 + 2 * expected_us;
}

EndOfStream::Action EndOfStream::on_output_empty(int64_t now_us, uint64_t in_kernel,
                                                 uint32_t close_wait_ms) {
  if (shut_down_) return Action::kDone;
  if (in_kernel > 0) {
    poll_at_us_ = now_us + kPollUs;
    return Action::kWait;
  }
  poll_at_us_ = 0;
  shut_down_ = true;
  close_at_us_ = now_us + int64_t{close_wait_ms} * 1000;
  return Action::kShutdown;
}

void EndOfStream::on_outstanding(int64_t now_us, uint64_t outstanding) {
  if (!started_ || outstanding == outstanding_) return;
  outstanding_ = outstanding;
  progress_us_ = now_us;
}

int64_t EndOfStream::next_deadline() const {
  int64_t stall_at = timeout_us_ && outstanding_ > 0 ? progress_us_ + timeout_us_ : 0;
  int64_t best = 0;
  for (int64_t t : {deadline_us_, poll_at_us_, close_at_us_, stall_at})
    if (t > 0 && (best == 0 || t < best)) best = t;
  return best;
}

std::string EndOfStream::undelivered_text(uint64_t bytes, int64_t now_us, bool stalled) const {
  auto seconds = [](int64_t us) {
    int64_t tenths = us / 100'000;
    return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " s";
  };
  std::string why = stalled ? "no progress for " + seconds(timeout_us_) + ": the timeout property"
                            : "the drain timeout: the timeout property plus twice the time the "
                              "rest takes at the measured rate";
  return std::to_string(bytes) + " bytes were not delivered to the server within " +
         seconds(now_us - started_us_) + " after the end of stream (" + why + ")";
}

void EndOfStream::on_new_connection() {
  shut_down_ = false;
  poll_at_us_ = 0;
  close_at_us_ = 0;
}

}  // namespace rtmpsession
