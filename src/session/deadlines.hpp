// The session's own deadlines (times on its clock, 0 = none). The session's one timer is armed
// at the earliest of them and of its link's wake-up time.
#pragma once

#include <cstdint>
#include <initializer_list>

namespace rtmpsession {

struct Deadlines {
  int64_t phase = 0;       // the current phase's timeout (connecting, handshake, each reply)
  int64_t reconnect = 0;   // the next connection attempt
  int64_t congestion = 0;  // the next congestion report

  // True, and cleared, when `t` is due at `now`.
  static bool take(int64_t& t, int64_t now) {
    if (t == 0 || now < t) return false;
    t = 0;
    return true;
  }
  // The earliest of these and of `others` (0 = none at all).
  int64_t earliest(std::initializer_list<int64_t> others) const {
    int64_t best = 0;
    for (int64_t t : {phase, reconnect, congestion})
      if (t > 0 && (best == 0 || t < best)) best = t;
    for (int64_t t : others)
      if (t > 0 && (best == 0 || t < best)) best = t;
    return best;
  }
};

}  // namespace rtmpsession
