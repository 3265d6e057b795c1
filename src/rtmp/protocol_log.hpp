// The logging hook of the protocol core, and what it says about each message. The core formats
// text only when the sink says the level is on, so a disabled level costs one call per message.
// Levels: commands and their replies and statuses at kInfo, protocol control and user control
// messages at kDebug, every media message at kLog, chunk-level detail (bytes in and out) at kTrace.
// No secret is ever formatted: secureTokenResponse's answer is left out, and the password never
// reaches the protocol client.
#pragma once

#include <string>
#include <string_view>

#include "rtmp/message.hpp"

namespace rtmp {

enum class LogLevel { kError, kWarning, kInfo, kDebug, kLog, kTrace };

class Logger {
 public:
  virtual ~Logger() = default;
  virtual bool enabled(LogLevel level) const = 0;
  virtual void log(LogLevel level, std::string_view text) = 0;
};

enum class Direction { kIn, kOut };

// The level a message is logged at (see above).
LogLevel log_level_of(const Message& m);
// One line: "sent connect #1 {app: live, ...}", "received onStatus #0 NetStream.Publish.Start
// (status): Started publishing", "sent Set Chunk Size 4096", "received video 1200 bytes ts 40
// csid 6".
std::string describe_message(const Message& m, Direction direction);

// Logs `m` if its level is on. `logger` may be null.
inline void log_message(Logger* logger, const Message& m, Direction direction) {
  if (!logger) return;
  LogLevel level = log_level_of(m);
  if (logger->enabled(level)) logger->log(level, describe_message(m, direction));
}

// Logs `text` at `level` if it is on; `make` builds the text only then.
template <class Make>
void log_lazily(Logger* logger, LogLevel level, Make&& make) {
  if (logger && logger->enabled(level)) logger->log(level, make());
}

}  // namespace rtmp
