// The one clock the session layer reads. Parts take `now` from it as an argument, so their unit
// tests can use any time they like; the session uses the monotonic clock its GLib sources run on.
#pragma once

#include <cstdint>

namespace rtmpsession {

class Clock {
 public:
  virtual ~Clock() = default;
  // Microseconds on a monotonic scale (only differences mean anything).
  virtual int64_t now_us() const = 0;
};

// g_get_monotonic_time(): what GLib's timers use.
class MonotonicClock final : public Clock {
 public:
  int64_t now_us() const override;
  static const MonotonicClock& instance();
};

}  // namespace rtmpsession
