// When to connect again, without I/O: after a connection that had reached publishing/playing
// breaks, with exponential backoff and a bound on the attempts per outage; at once when the
// server asks (ReconnectRequest); and the authentication rounds (a connect refused with a
// challenge is answered on a new connection at once, at most auth::Negotiator::kMaxRounds times,
// not counted as a reconnection attempt).
#pragma once

#include <cstdint>
#include <string>

#include "config/connection.hpp"
#include "rtmp/auth.hpp"
#include "rtmp/errors.hpp"

namespace rtmpsession {

class ReconnectPolicy {
 public:
  ReconnectPolicy(const config::ReconnectOptions& options, const config::Credentials& credentials);

  struct Decision {
    bool reconnect = false;
    uint32_t delay_ms = 0;
    std::string reason;  // for the reconnecting state: "<why>; attempt N in D"
  };
  // A connection failed with `kind` (`closing`: while the stop commands were going out). No
  // reconnection: *message may be extended ("gave up after 3 reconnection attempts: ...").
  Decision on_failure(rtmp::ErrorKind kind, std::string* message, bool closing);
  // The server sent NetConnection.Connect.ReconnectRequest: a new series, at once.
  Decision on_reconnect_request();
  // A connection reached publishing/playing. True when it was a reconnection (counted).
  bool on_streaming();

  // The server refused connect with an authentication challenge; `app` without any query.
  // kReconnect: connect again at once with auth_query() in app and tcUrl.
  rtmp::auth::Step on_auth_rejection(const rtmp::auth::Rejection& rejection, const std::string& app,
                                     uint32_t random);
  const std::string& auth_query() const { return auth_query_; }

  unsigned attempt() const { return attempt_; }  // attempt of the current series (1 = first)
  uint32_t reconnects() const { return reconnects_; }
  bool resuming() const { return resuming_; }

 private:
  Decision start_series(const std::string& why, unsigned attempt, uint32_t delay_ms);
  uint32_t backoff_ms(unsigned attempt) const;

  config::ReconnectOptions options_;
  rtmp::auth::Negotiator auth_;
  std::string auth_query_;
  bool streamed_ = false;  // some connection reached publishing/playing
  bool resuming_ = false;  // the current connection is a reconnection
  unsigned attempt_ = 1;
  uint32_t reconnects_ = 0;
};

}  // namespace rtmpsession
