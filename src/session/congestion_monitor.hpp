// When to tell the application about congestion on the publish path, without I/O: the stream is
// congested while more media waits to be sent than a threshold (half the latency bound, or 1 s
// without one), and for kDropHoldUs after a frame was dropped for the latency bound (dropping a
// GOP's tail empties the queue, but the link is no faster: it fills again). While congested, a
// report at most every kReportEveryUs; one when it clears.
#pragma once

#include <cstdint>
#include <optional>

namespace rtmpsession {

struct CongestionReport {
  bool congested = false;
  uint32_t queued_ms = 0;       // media waiting to be sent
  uint64_t queued_bytes = 0;    // the same, in bytes (our queue and output)
  double send_rate_bps = 0;     // measured over the last seconds
  uint64_t bytes_sent = 0;      // handed to the transport
  uint64_t bytes_acked = 0;     // what the server acknowledged (its last Acknowledgement)
  uint64_t frames_dropped = 0;  // video frames dropped for the latency bound, in all
};

class CongestionMonitor {
 public:
  static constexpr int64_t kReportEveryUs = 500'000;
  static constexpr uint32_t kThresholdWithoutBoundMs = 1000;
  static constexpr int64_t kDropHoldUs = 2'000'000;

  // The threshold for a latency bound of `max_latency_ms` (0 = no bound).
  static uint32_t threshold_ms(uint32_t max_latency_ms) {
    return max_latency_ms > 0 ? max_latency_ms / 2 : kThresholdWithoutBoundMs;
  }
  // `report` as measured at `now_us` (its `congested` is set here). A report to post, if due.
  std::optional<CongestionReport> update(CongestionReport report, uint32_t threshold_ms,
                                         int64_t now_us);
  // When update() must be called again without new media (0 = no need): while congested, or
  // while a change waits to be reported.
  int64_t next_report_us() const {
    return congested_ || reported_ ? last_report_us_ + kReportEveryUs : 0;
  }
  bool congested() const { return congested_; }

 private:
  bool congested_ = false;  // as last measured
  bool reported_ = false;   // as last reported
  bool reported_once_ = false;
  int64_t last_report_us_ = 0;
  uint64_t frames_dropped_ = 0;  // as last seen
  int64_t last_drop_us_ = -1;    // when they last grew (-1 = never)
};

}  // namespace rtmpsession
