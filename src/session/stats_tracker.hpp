// The counters of a session across its connections, and its rates: totals carried over from
// the connections before the current one, and a sliding window of byte-count samples taken when
// bytes move. The rates are computed when someone asks (up to that moment), so nothing needs to
// sample them periodically. A publisher has two: the bit rate of what it wrote to the socket,
// and the send rate of what the server has (written, less what the kernel still holds: a
// kernel buffer filling at the start is not a fast link).
#pragma once

#include <cstdint>
#include <deque>
#include <utility>

#include "rtmp/client_connection.hpp"
#include "session/session_types.hpp"

namespace rtmpsession {

class StatsTracker {
 public:
  static constexpr int64_t kRateWindowUs = 5'000'000;  // bitrate over the last 5 s
  static constexpr int64_t kSampleEveryUs = 500'000;

  explicit StatsTracker(Role role) : role_(role) {}

  // The current connection's counters (nullptr when there is none), at `now_us`; `held`: of
  // the bytes it wrote, those the transport and the kernel still hold (publishing).
  void update(const rtmp::ClientCounters* current, int64_t now_us, uint64_t held = 0);
  // A connection ended: its totals are carried; its settings stay visible until the next one.
  void connection_ended(const rtmp::ClientCounters& counters);
  // Writes the counters, chunk and window sizes and the rates at `now_us` into `out`.
  void fill(SessionStats* out, int64_t now_us) const;

 private:
  struct Sample {
    int64_t us;
    uint64_t bytes;      // sent (publish) or received (play)
    uint64_t delivered;  // publish: what the server has
  };
  // Bits per second of `value` over the samples of the last window (or the two oldest kept),
  // up to now, when it is `current` now.
  double rate_bps(uint64_t Sample::*value, uint64_t current, int64_t now_us) const;

  Role role_;
  rtmp::ClientCounters carried_;  // totals of the connections before the current one
  rtmp::ClientCounters total_;    // carried_ + the current connection, at the last update
  uint64_t delivered_ = 0;        // of total_.bytes_out, at the last update
  std::deque<Sample> samples_;
};

}  // namespace rtmpsession
