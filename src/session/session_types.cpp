#include "session/session_types.hpp"

namespace rtmpsession {

const char* state_name(State s) {
  switch (s) {
    case State::kIdle:
      return "idle";
    case State::kResolving:
      return "resolving";
    case State::kConnecting:
      return "connecting";
    case State::kHandshaking:
      return "handshaking";
    case State::kConnectingApp:
      return "connecting-app";
    case State::kCreatingStream:
      return "creating-stream";
    case State::kStarting:
      return "starting";
    case State::kPublishing:
      return "publishing";
    case State::kPlaying:
      return "playing";
    case State::kReconnecting:
      return "reconnecting";
    case State::kClosing:
      return "closing";
    case State::kClosed:
      return "closed";
    case State::kBroken:
      return "broken";
  }
  return "unknown";
}

}  // namespace rtmpsession
