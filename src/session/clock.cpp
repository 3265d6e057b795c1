#include "session/clock.hpp"

#include <glib.h>

namespace rtmpsession {

int64_t MonotonicClock::now_us() const {
  return g_get_monotonic_time();
}

const MonotonicClock& MonotonicClock::instance() {
  static const MonotonicClock clock;
  return clock;
}

}  // namespace rtmpsession
