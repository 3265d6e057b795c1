#include "session/congestion_monitor.hpp"

namespace rtmpsession {

std::optional<CongestionReport> CongestionMonitor::update(CongestionReport report,
                                                          uint32_t threshold_ms, int64_t now_us) {
  if (report.frames_dropped != frames_dropped_) {
    frames_dropped_ = report.frames_dropped;
    last_drop_us_ = now_us;
  }
  const bool dropping = last_drop_us_ >= 0 && now_us - last_drop_us_ < kDropHoldUs;
  congested_ = report.queued_ms > threshold_ms || dropping;
  report.congested = congested_;
  // A change is reported at once, unless the last report is less than kReportEveryUs old (then
  // when that much time has passed, if it still holds); while congested, every kReportEveryUs.
  const bool due = !reported_once_ || now_us - last_report_us_ >= kReportEveryUs;
  if (!due || (!congested_ && !reported_)) return std::nullopt;
  if (congested_ == reported_ && !congested_) return std::nullopt;
  reported_ = congested_;
  reported_once_ = true;
  last_report_us_ = now_us;
  return report;
}

}  // namespace rtmpsession
