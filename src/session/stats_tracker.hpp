// The counters of a session across its connections, and its bit rate: totals carried over from
// the connections before the current one, and a sliding window of byte-count samples taken when
// bytes move. The rate is computed when someone asks (up to that moment), so nothing needs to
// sample it periodically.
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

  // The current connection's counters (nullptr when there is none), at `now_us`.
  void update(const rtmp::ClientCounters* current, int64_t now_us);
  // A connection ended: its totals are carried; its settings stay visible until the next one.
  void connection_ended(const rtmp::ClientCounters& counters);
  // Writes the counters, chunk and window sizes and the bit rate at `now_us` into `out`.
  void fill(SessionStats* out, int64_t now_us) const;

 private:
  Role role_;
  rtmp::ClientCounters carried_;  // totals of the connections before the current one
  rtmp::ClientCounters total_;    // carried_ + the current connection, at the last update
  std::deque<std::pair<int64_t, uint64_t>> samples_;
};

}  // namespace rtmpsession
