// RTMP authentication, without I/O: Adobe (authmod=adobe) and Limelight (authmod=llnw)
// challenge/response carried in the connect's app and tcUrl query, as FFmpeg and librtmp do it,
// and librtmp's SecureToken (a TEA-encrypted token in connect's _result, answered with
// secureTokenResponse).
//
// The exchange: connect is rejected with a description naming the method and "code=403 need
// auth"; the client connects again with "?authmod=M&user=U"; the server rejects that with
// "?reason=needauth&..." carrying salt/challenge/opaque (adobe) or nonce (llnw); the client
// connects a third time with its response. "reason=authfailed" / "nosuchuser" end it.
//
// Nothing here puts the password in a message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace rtmp::auth {

enum class Method { kAdobe, kLlnw };
const char* method_name(Method method);  // "adobe" / "llnw"

// What the description of an _error to connect says about authentication.
struct Rejection {
  enum class Kind {
    kNotAuth,      // an ordinary rejection
    kUnsupported,  // names an authmod other than adobe or llnw (see `authmod`)
    kNeedAuth,     // "code=403 need auth": send the user name to get a challenge
    kChallenge,    // "?reason=needauth&...": answer it
    kFailed,       // "?reason=..." other than needauth (authfailed, nosuchuser, ...)
    kMalformed,    // names adobe or llnw, but the challenge is missing or unusable
  };
  Kind kind = Kind::kNotAuth;
  Method method = Method::kAdobe;
  std::string authmod;  // as the server named it (letters and digits only, at most 32)
  std::string reason;   // kFailed: the server's reason (printable, at most 64 characters)
  // kChallenge (adobe: salt and challenge or opaque; llnw: nonce).
  std::string salt;
  std::optional<std::string> challenge, opaque;
  std::string nonce;
};

Rejection parse_rejection(std::string_view description);

// "%08x" of `random`: the client challenge (adobe) or cnonce (llnw).
std::string client_nonce(uint32_t random);

// base64(md5(base64(md5(user + salt + password)) + server_challenge + client_challenge)), where
// server_challenge is the opaque value when the server sent one, else its challenge.
std::string adobe_response(std::string_view user, std::string_view password, std::string_view salt,
                           std::string_view server_challenge, std::string_view client_challenge);

// HTTP-digest style, hex: md5(md5(user:live:password):nonce:00000001:cnonce:auth:
// md5(publish:/app[/_definst_])), "/_definst_" added when the app has no '/'.
std::string llnw_response(std::string_view user, std::string_view password, std::string_view app,
                          std::string_view nonce, std::string_view cnonce);

// Query strings to append to app and tcUrl (user percent-encoded where it would break the query).
std::string initial_query(Method method, std::string_view user);
std::string adobe_query(std::string_view user, std::string_view password, const Rejection& r,
                        uint32_t random);
std::string llnw_query(std::string_view user, std::string_view password, std::string_view app,
                       const Rejection& r, uint32_t random);

struct Credentials {
  std::string username;
  std::string password;
  std::string authmod;  // "" = answer whichever method the server names; "adobe", "llnw", "none"
};

// What to do about one authentication rejection.
struct Step {
  enum class Action { kReconnect, kFail };
  Action action = Action::kFail;
  std::string query;    // kReconnect: append to app and tcUrl of the next connect
  std::string message;  // kFail: why (never contains the password)
};

// The client side of the exchange over the connections of one connect series. At most
// kMaxRounds reconnections answer challenges; the next rejection is a failure.
class Negotiator {
 public:
  static constexpr int kMaxRounds = 3;

  explicit Negotiator(Credentials credentials) : credentials_(std::move(credentials)) {}

  // `app` is the application without any query (llnw hashes it); `random` feeds the client
  // challenge / cnonce.
  Step on_rejection(const Rejection& r, std::string_view app, uint32_t random);
  // A new series (after a network reconnection): the server's next challenge starts over.
  void reset() { rounds_ = 0; }
  int rounds() const { return rounds_; }

 private:
  std::string refusal(const Rejection& r) const;

  Credentials credentials_;
  int rounds_ = 0;
};

// librtmp's DecodeTEA: `token_hex` (a multiple of 8 hex digits) XXTEA-decrypted with the first
// 16 bytes of `key` (little-endian words, zero-padded); the result has token_hex.size() / 2
// bytes. nullopt when the token is empty, too long, or not such hex.
std::optional<std::string> decode_secure_token(std::string_view key, std::string_view token_hex);

}  // namespace rtmp::auth
