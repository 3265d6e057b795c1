// The session layer's clock: g_get_monotonic_time(), what GLib's timers run on. Parts take `now`
// from it as an argument, so their unit tests can use any time they like.
#pragma once

#include "util/clock.hpp"

namespace rtmpsession {

using util::Clock;

class MonotonicClock final : public Clock {
 public:
  int64_t now_us() const override;
  static const MonotonicClock& instance();
};

}  // namespace rtmpsession
