#include "session/reconnect_policy.hpp"

#include <algorithm>

#include "util/strings.hpp"

namespace rtmpsession {

namespace {

std::string authmod_name(config::Authmod m) {
  switch (m) {
    case config::Authmod::kNone:
      return "none";
    case config::Authmod::kAdobe:
      return "adobe";
    case config::Authmod::kLlnw:
      return "llnw";
    case config::Authmod::kAuto:
      break;
  }
  return "";
}

}  // namespace

ReconnectPolicy::ReconnectPolicy(const config::ReconnectOptions& options,
                                 const config::Credentials& c)
    : options_(options), auth_({c.username, c.password, authmod_name(c.authmod)}) {}

uint32_t ReconnectPolicy::backoff_ms(unsigned attempt) const {
  uint64_t delay = options_.delay_ms;
  for (unsigned i = 1; i < attempt && delay < options_.max_delay_ms; i++) delay *= 2;
  return static_cast<uint32_t>(std::min<uint64_t>(delay, options_.max_delay_ms));
}

ReconnectPolicy::Decision ReconnectPolicy::start_series(const std::string& why, unsigned attempt,
                                                        uint32_t delay_ms) {
  // A new connection series: the server's challenge (if any) is answered afresh.
  auth_.reset();
  auth_query_.clear();
  resuming_ = true;
  attempt_ = attempt;
  return Decision{
      true, delay_ms,
      why + "; attempt " + std::to_string(attempt) + " in " + util::duration_text(delay_ms)};
}

ReconnectPolicy::Decision ReconnectPolicy::on_failure(rtmp::ErrorKind kind, std::string* message,
                                                      bool closing) {
  // Refused credentials and unusable settings are not outages: asking again does not help.
  if (options_.attempts == 0 || !streamed_ || kind == rtmp::ErrorKind::kBadLocation ||
      kind == rtmp::ErrorKind::kAuthFailed || closing)
    return {};
  if (options_.attempts > 0 && resuming_ && attempt_ >= static_cast<unsigned>(options_.attempts)) {
    *message = "gave up after " + std::to_string(attempt_) + " reconnection attempt" +
               (attempt_ == 1 ? "" : "s") + ": " + *message;
    return {};
  }
  unsigned next = resuming_ ? attempt_ + 1 : 1;
  return start_series(*message, next, backoff_ms(next));
}

ReconnectPolicy::Decision ReconnectPolicy::on_reconnect_request() {
  return start_series("server requested a reconnection", 1, 0);
}

bool ReconnectPolicy::on_streaming() {
  streamed_ = true;
  if (!resuming_) return false;
  resuming_ = false;
  reconnects_++;
  return true;
}

rtmp::auth::Step ReconnectPolicy::on_auth_rejection(const rtmp::auth::Rejection& rejection,
                                                    const std::string& app, uint32_t random) {
  rtmp::auth::Step step = auth_.on_rejection(rejection, app, random);
  if (step.action == rtmp::auth::Step::Action::kReconnect) auth_query_ = step.query;
  return step;
}

}  // namespace rtmpsession
