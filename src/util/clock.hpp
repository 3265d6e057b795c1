// The clock the session and the transports read: microseconds on a monotonic scale (only
// differences mean anything). The session layer's MonotonicClock is GLib's; tests pass their own.
#pragma once

#include <cstdint>

namespace util {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual int64_t now_us() const = 0;
};

}  // namespace util
