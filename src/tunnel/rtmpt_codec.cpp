#include "tunnel/rtmpt_codec.hpp"

#include <algorithm>
#include <string_view>
#include <vector>

#include "util/strings.hpp"

namespace rtmp {

namespace {

using util::iequals;
using util::is_digit;
using util::trim;

const char* command_name(RtmptCommand c) {
  switch (c) {
    case RtmptCommand::kOpen:
      return "open";
    case RtmptCommand::kSend:
      return "send";
    case RtmptCommand::kIdle:
      return "idle";
    case RtmptCommand::kClose:
      return "close";
  }
  return "?";
}

// Text from the server, safe for a message: non-printable bytes escaped, at most 80 characters.
std::string printable(std::string_view text) {
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (char ch : text.substr(0, 80)) {
    auto c = static_cast<unsigned char>(ch);
    if (c >= 0x20 && c < 0x7f) {
      out += ch;
    } else {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  if (text.size() > 80) out += "...";
  return out;
}

// Whether a comma-separated header value lists `token` (case-insensitive).
bool lists_token(std::string_view value, std::string_view token) {
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (iequals(trim(value.substr(0, comma)), token)) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

RtmptClient::RtmptClient(std::string host, std::string user_agent) {
  // The values go into header lines: control characters (CR, LF) are dropped.
  auto clean = [](const std::string& s) {
    std::string out;
    for (char c : s)
      if (static_cast<unsigned char>(c) >= 0x20 && c != 0x7f) out += c;
    return out;
  };
  host_ = clean(host);
  user_agent_ = clean(user_agent);
}

bool RtmptClient::open(Bytes& out) {
  if (opened() || closed_) return false;
  const uint8_t zero = 0;
  return start(RtmptCommand::kOpen, ByteView(&zero, 1), out);
}

bool RtmptClient::send(ByteView rtmp, Bytes& out) {
  if (!opened() || closed_ || rtmp.empty()) return false;
  return start(RtmptCommand::kSend, rtmp, out);
}

bool RtmptClient::idle(Bytes& out) {
  if (!opened() || closed_) return false;
  const uint8_t zero = 0;
  return start(RtmptCommand::kIdle, ByteView(&zero, 1), out);
}

bool RtmptClient::close(Bytes& out) {
  if (!opened() || closed_) return false;
  const uint8_t zero = 0;
  return start(RtmptCommand::kClose, ByteView(&zero, 1), out);
}

bool RtmptClient::start(RtmptCommand command, ByteView body, Bytes& out) {
  if (outstanding_ || phase_ == Phase::kError) return false;
  if (command == RtmptCommand::kOpen) {
    path_ = "/open/1";
  } else {
    path_ = std::string("/") + command_name(command) + "/" + session_id_ + "/" +
            std::to_string(sequence_++);
  }
  std::string head = "POST " + path_ +
                     " HTTP/1.1\r\n"
                     "Host: " +
                     host_ +
                     "\r\n"
                     "Accept: */*\r\n"
                     "User-Agent: " +
                     user_agent_ +
                     "\r\n"
                     "Connection: Keep-Alive\r\n"
                     "Cache-Control: no-cache\r\n"
                     "Content-Type: application/x-fcs\r\n"
                     "Content-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n";
  out.insert(out.end(), head.begin(), head.end());
  put_bytes(out, body);
  command_ = command;
  outstanding_ = true;
  phase_ = Phase::kHead;
  head_.clear();
  return true;
}

bool RtmptClient::fail(std::string message) {
  phase_ = Phase::kError;
  error_ = std::move(message);
  outstanding_ = false;
  return false;
}

RtmptClient::Status RtmptClient::feed(ByteView in, size_t* consumed, Bytes& payload) {
  *consumed = 0;
  if (phase_ == Phase::kError) return Status::kError;
  if (in.empty()) return Status::kNeedMore;
  if (!outstanding_) {
    fail("RTMPT server sent " + std::to_string(in.size()) +
         " bytes while no request was outstanding");
    return Status::kError;
  }
  size_t pos = 0;
  while (pos < in.size()) {
    if (phase_ == Phase::kHead) {
      pos += feed_head(in.subspan(pos));
      if (phase_ == Phase::kError) return Status::kError;
      if (phase_ == Phase::kHead) continue;  // need more, or an interim response was skipped
    } else {
      pos += feed_body(in.subspan(pos), payload);
      if (phase_ == Phase::kError) return Status::kError;
    }
    if (phase_ == Phase::kBody && body_left_ == 0) {
      *consumed = pos;
      return finish_body() ? Status::kResponse : Status::kError;
    }
  }
  *consumed = pos;
  return Status::kNeedMore;
}

// Takes head bytes up to and including the empty line that ends the head; parses it then (the
// phase becomes kBody, or stays kHead with an empty head_ after an interim response).
size_t RtmptClient::feed_head(ByteView in) {
  size_t i = 0;
  while (i < in.size()) {
    char c = static_cast<char>(in[i++]);
    if (head_.empty() && (c == '\r' || c == '\n')) continue;  // stray line ends between responses
    if (head_.size() >= kMaxHeadBytes) {
      fail("RTMPT response head is longer than " + std::to_string(kMaxHeadBytes) + " bytes");
      return i;
    }
    head_ += c;
    if (c != '\n') continue;
    std::string_view h(head_);
    if (h.ends_with("\n\n") || h.ends_with("\n\r\n")) {
      parse_head();
      return i;
    }
  }
  return i;
}

bool RtmptClient::parse_head() {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < head_.size()) {
    size_t nl = head_.find('\n', start);
    std::string line = head_.substr(start, nl - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) lines.push_back(std::move(line));
    start = nl + 1;
  }
  int status = 0;
  std::string reason;
  bool http10 = false;
  if (lines.empty() || !parse_status_line(lines[0], &status, &reason, &http10)) return false;
  int64_t content_length = -1;
  bool connection_close = false, keep_alive = false;
  for (size_t i = 1; i < lines.size(); i++)
    if (!parse_header(lines[i], &content_length, &connection_close, &keep_alive)) return false;
  if (status >= 100 && status < 200 && status != 101) {
    head_.clear();  // interim response (100 Continue): the real one follows
    return true;
  }
  bool closing = command_ == RtmptCommand::kClose;
  if (status != 200 && !closing) {
    std::string text = "RTMPT server answered " + std::to_string(status);
    if (!reason.empty()) text += " (" + printable(reason) + ")";
    return fail(text + " to " + path_);
  }
  if (content_length < 0) {
    if (!closing) return fail("RTMPT server's answer to " + path_ + " has no Content-Length");
    content_length = 0;
  }
  response_ = RtmptResponse{};
  response_.command = command_;
  response_.status = status;
  response_.connection_close = connection_close || (http10 && !keep_alive);
  body_left_ = static_cast<size_t>(content_length);
  body_started_ = false;
  id_body_.clear();
  phase_ = Phase::kBody;
  return true;
}

bool RtmptClient::parse_status_line(const std::string& line, int* status, std::string* reason,
                                    bool* http10) {
  // HTTP/1.x SP 3DIGIT [SP reason]
  std::string_view s(line);
  bool ok = s.size() >= 12 && s.starts_with("HTTP/1.") && is_digit(s[7]) && s[8] == ' ' &&
            is_digit(s[9]) && is_digit(s[10]) && is_digit(s[11]) &&
            (s.size() == 12 || s[12] == ' ');
  if (!ok)
    return fail("malformed HTTP response from the RTMPT server to " + path_ + ": \"" +
                printable(s) + "\"");
  *http10 = s[7] == '0';
  *status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
  *reason = s.size() > 13 ? std::string(trim(s.substr(13))) : std::string();
  return true;
}

bool RtmptClient::parse_header(const std::string& line, int64_t* content_length,
                               bool* connection_close, bool* keep_alive) {
  size_t colon = line.find(':');
  if (colon == std::string::npos || colon == 0 || line[0] == ' ' || line[0] == '\t')
    return fail("malformed header line in the RTMPT server's answer to " + path_ + ": \"" +
                printable(line) + "\"");
  std::string_view name = trim(std::string_view(line).substr(0, colon));
  std::string_view value = trim(std::string_view(line).substr(colon + 1));
  if (iequals(name, "Content-Length")) {
    bool digits =
        !value.empty() && value.size() <= 18 && std::all_of(value.begin(), value.end(), is_digit);
    int64_t n = digits ? std::stoll(std::string(value)) : -1;
    if (!digits || (*content_length >= 0 && *content_length != n))
      return fail("bad Content-Length \"" + printable(value) +
                  "\" in the RTMPT server's answer to " + path_);
    if (static_cast<uint64_t>(n) > kMaxBodyBytes)
      return fail("RTMPT server's answer to " + path_ + " has " + std::to_string(n) +
                  " bytes, above the limit of " + std::to_string(kMaxBodyBytes));
    *content_length = n;
  } else if (iequals(name, "Transfer-Encoding")) {
    if (!iequals(value, "identity"))
      return fail("RTMPT server answered " + path_ + " with Transfer-Encoding \"" +
                  printable(value) + "\"; only Content-Length bodies are supported");
  } else if (iequals(name, "Connection")) {
    if (lists_token(value, "close")) *connection_close = true;
    if (lists_token(value, "keep-alive")) *keep_alive = true;
  }
  return true;
}

size_t RtmptClient::feed_body(ByteView in, Bytes& payload) {
  size_t n = std::min(in.size(), body_left_);
  ByteView part = in.first(n);
  body_left_ -= n;
  if (command_ == RtmptCommand::kOpen) {
    if (id_body_.size() + n > kMaxSessionIdBytes) {
      fail("RTMPT server's answer to /open/1 is longer than " + std::to_string(kMaxSessionIdBytes) +
           " bytes (expected a session id)");
      return n;
    }
    id_body_.append(part.begin(), part.end());
    return n;
  }
  if (!part.empty() && !body_started_) {
    body_started_ = true;
    response_.has_hint = true;
    response_.hint = part[0];
    part = part.subspan(1);
  }
  put_bytes(payload, part);
  response_.payload_bytes += part.size();
  return n;
}

bool RtmptClient::finish_body() {
  outstanding_ = false;
  phase_ = Phase::kHead;
  head_.clear();
  if (command_ == RtmptCommand::kClose) closed_ = true;
  if (command_ != RtmptCommand::kOpen) return true;
  std::string_view id(id_body_);
  while (!id.empty() && (id.back() == '\n' || id.back() == '\r' || id.back() == ' ' ||
                         id.back() == '\t' || id.back() == '\0'))
    id.remove_suffix(1);
  if (id.empty()) return fail("RTMPT server sent no session id in answer to /open/1");
  for (char c : id) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f || c == '/' || c == '?' || c == '#')
      return fail("RTMPT server sent an unusable session id \"" + printable(id) +
                  "\" in answer to /open/1");
  }
  session_id_ = std::string(id);
  sequence_ = 0;
  return true;
}

int64_t RtmptPollPolicy::after(const RtmptResponse& response) {
  if (response.payload_bytes > 0) {
    empty_streak_ = 0;
    return 0;
  }
  // The server answers what we sent; expect more soon.
  if (response.command == RtmptCommand::kSend) empty_streak_ = 0;
  if (empty_streak_ < 1000) empty_streak_++;
  int64_t own = 0;
  if (empty_streak_ >= 2) own = kFirstBackoffUs << std::min(empty_streak_ - 2, 10);
  int64_t hinted = response.has_hint ? response.hint * kHintUnitUs : 0;
  return std::min(std::max(own, hinted), kMaxDelayUs);
}

}  // namespace rtmp
