#include "rtmp/auth.hpp"

#include <algorithm>
#include <cstdio>
#include <vector>

#include "hash/md5.hpp"
#include "util/base64.hpp"

namespace rtmp::auth {

namespace {

constexpr size_t kMaxValue = 256;      // a salt, challenge, opaque or nonce
constexpr size_t kMaxTokenHex = 8192;  // a SecureToken challenge
constexpr std::string_view kNeedAuth = "code=403 need auth";

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Printable ASCII, no space: what a challenge value may contain (it is echoed in a query).
bool usable_value(std::string_view v) {
  if (v.empty() || v.size() > kMaxValue) return false;
  return std::all_of(v.begin(), v.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

std::string reason_text(std::string_view v) {
  std::string out;
  for (char c : v.substr(0, 64)) {
    if (is_alnum(c) || c == '_' || c == '-' || c == '.') out += c;
  }
  return out.empty() ? "unspecified" : out;
}

struct QueryValues {
  std::optional<std::string_view> reason, salt, challenge, opaque, nonce;
};

// "?reason=...&key=value&..." up to the first blank; the first occurrence of a key wins.
QueryValues parse_query(std::string_view query) {
  QueryValues q;
  size_t end = 0;
  while (end < query.size() && !is_space(query[end])) end++;
  query = query.substr(0, end);
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = pair.substr(0, eq), value = pair.substr(eq + 1);
    auto set = [&](std::optional<std::string_view>& slot) {
      if (!slot) slot = value;
    };
    if (key == "reason")
      set(q.reason);
    else if (key == "salt")
      set(q.salt);
    else if (key == "challenge")
      set(q.challenge);
    else if (key == "opaque")
      set(q.opaque);
    else if (key == "nonce")
      set(q.nonce);
  }
  return q;
}

void read_challenge(const QueryValues& q, Rejection& r) {
  using K = Rejection::Kind;
  r.kind = K::kMalformed;
  auto usable = [](const std::optional<std::string_view>& v) { return v && usable_value(*v); };
  if (r.method == Method::kLlnw) {
    if (!usable(q.nonce)) return;
    r.nonce = std::string(*q.nonce);
  } else {
    if (!usable(q.salt)) return;
    if ((q.challenge && !usable_value(*q.challenge)) || (q.opaque && !usable_value(*q.opaque)))
      return;
    if (!q.challenge && !q.opaque) return;
    r.salt = std::string(*q.salt);
    if (q.challenge) r.challenge = std::string(*q.challenge);
    if (q.opaque) r.opaque = std::string(*q.opaque);
  }
  r.kind = K::kChallenge;
}

// The user name goes into the query raw (as FFmpeg sends it) except for the characters that
// would change the query's meaning.
std::string query_value(std::string_view v) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char ch : v) {
    auto c = static_cast<unsigned char>(ch);
    bool escape = c <= 0x20 || c >= 0x7f || ch == '&' || ch == '=' || ch == '?' || ch == '#' ||
                  ch == '%' || ch == '+';
    if (!escape) {
      out += ch;
      continue;
    }
    out += '%';
    out += kHex[c >> 4];
    out += kHex[c & 15];
  }
  return out;
}

}  // namespace

const char* method_name(Method method) {
  return method == Method::kLlnw ? "llnw" : "adobe";
}

Rejection parse_rejection(std::string_view d) {
  using K = Rejection::Kind;
  Rejection r;
  size_t at = d.find("authmod=");
  if (at == std::string_view::npos) return r;
  std::string_view rest = d.substr(at + 8);
  size_t n = 0;
  while (n < rest.size() && n < 32 && is_alnum(rest[n])) n++;
  r.authmod = std::string(rest.substr(0, n));
  if (r.authmod == "adobe") {
    r.method = Method::kAdobe;
  } else if (r.authmod == "llnw") {
    r.method = Method::kLlnw;
  } else {
    r.kind = K::kUnsupported;
    return r;
  }
  size_t q = d.find("?reason=");
  if (q != std::string_view::npos) {
    QueryValues values = parse_query(d.substr(q + 1));
    if (values.reason && *values.reason == "needauth") {
      read_challenge(values, r);
    } else {
      r.kind = K::kFailed;
      r.reason = reason_text(values.reason.value_or(""));
    }
    return r;
  }
  r.kind = d.find(kNeedAuth) != std::string_view::npos ? K::kNeedAuth : K::kMalformed;
  return r;
}

std::string client_nonce(uint32_t random) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", random);
  return buf;
}

std::string adobe_response(std::string_view user, std::string_view password, std::string_view salt,
                           std::string_view server_challenge, std::string_view client_challenge) {
  Md5 h;
  h.update(user);
  h.update(salt);
  h.update(password);
  Md5Digest first = h.finish();
  h.update(base64_encode(first));
  h.update(server_challenge);
  h.update(client_challenge);
  Md5Digest second = h.finish();
  return base64_encode(second);
}

std::string llnw_response(std::string_view user, std::string_view password, std::string_view app,
                          std::string_view nonce, std::string_view cnonce) {
  std::string ha1 = md5_hex(std::string(user) + ":live:" + std::string(password));
  std::string path = "publish:/" + std::string(app);
  if (app.find('/') == std::string_view::npos) path += "/_definst_";
  std::string ha2 = md5_hex(path);
  return md5_hex(ha1 + ":" + std::string(nonce) + ":00000001:" + std::string(cnonce) +
                 ":auth:" + ha2);
}

std::string initial_query(Method method, std::string_view user) {
  return std::string("?authmod=") + method_name(method) + "&user=" + query_value(user);
}

std::string adobe_query(std::string_view user, std::string_view password, const Rejection& r,
                        uint32_t random) {
  std::string c2 = client_nonce(random);
  const std::string server = r.opaque ? *r.opaque : r.challenge.value_or("");
  std::string q = "?authmod=adobe&user=" + query_value(user) + "&challenge=" + c2 +
                  "&response=" + adobe_response(user, password, r.salt, server, c2);
  if (r.opaque) q += "&opaque=" + *r.opaque;
  return q;
}

std::string llnw_query(std::string_view user, std::string_view password, std::string_view app,
                       const Rejection& r, uint32_t random) {
  std::string cnonce = client_nonce(random);
  return "?authmod=llnw&user=" + query_value(user) + "&nonce=" + r.nonce + "&cnonce=" + cnonce +
         "&nc=00000001&response=" + llnw_response(user, password, app, r.nonce, cnonce);
}

std::string Negotiator::refusal(const Rejection& r) const {
  std::string head = std::string("authentication failed (authmod=") + method_name(r.method) + "): ";
  if (r.reason == "authfailed") return head + "wrong user name or password (reason=authfailed)";
  if (r.reason == "nosuchuser") return head + "unknown user name (reason=nosuchuser)";
  return head + "the server refused the credentials (reason=" + r.reason + ")";
}

Step Negotiator::on_rejection(const Rejection& r, std::string_view app, uint32_t random) {
  using K = Rejection::Kind;
  Step step;
  const std::string m = r.kind == K::kUnsupported ? r.authmod : method_name(r.method);
  const std::string& wanted = credentials_.authmod;
  auto fail = [&](std::string message) {
    step.message = std::move(message);
    return step;
  };
  if (r.kind == K::kNotAuth) return fail("server rejected the connection (not an auth challenge)");
  if (wanted == "none")
    return fail("server requires authentication (authmod=" + m + "), but authmod is none");
  if (r.kind == K::kUnsupported)
    return fail("server requires an authentication method that is not supported (authmod=" + m +
                ")");
  if (!wanted.empty() && wanted != m)
    return fail("server requires authmod=" + m + ", but authmod is " + wanted);
  if (credentials_.username.empty() || credentials_.password.empty())
    return fail("server requires authentication (authmod=" + m + "): set username and password");
  if (r.kind == K::kFailed) return fail(refusal(r));
  if (r.kind == K::kMalformed)
    return fail("malformed authentication challenge (authmod=" + m + ")");
  if (rounds_ >= kMaxRounds)
    return fail("authentication failed (authmod=" + m + "): the server still rejects after " +
                std::to_string(kMaxRounds) + " attempts");
  rounds_++;
  step.action = Step::Action::kReconnect;
  const auto& user = credentials_.username;
  if (r.kind == K::kNeedAuth)
    step.query = initial_query(r.method, user);
  else if (r.method == Method::kAdobe)
    step.query = adobe_query(user, credentials_.password, r, random);
  else
    step.query = llnw_query(user, credentials_.password, app, r, random);
  return step;
}

namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// XXTEA block decryption (Wheeler and Needham's corrected Block TEA), as librtmp runs it.
void xxtea_decrypt(std::vector<uint32_t>& v, const uint32_t k[4]) {
  constexpr uint32_t kDelta = 0x9e3779b9;
  const size_t n = v.size();
  uint32_t z = v[n - 1], y = v[0];
  uint32_t sum = static_cast<uint32_t>(6 + 52 / n) * kDelta;
  auto mx = [&](size_t p, uint32_t e) {
    return (((z >> 5) ^ (y << 2)) + ((y >> 3) ^ (z << 4))) ^ ((sum ^ y) + (k[(p & 3) ^ e] ^ z));
  };
  while (sum != 0) {
    uint32_t e = (sum >> 2) & 3;
    for (size_t p = n - 1; p > 0; p--) {
      z = v[p - 1];
      y = v[p] -= mx(p, e);
    }
    z = v[n - 1];
    y = v[0] -= mx(0, e);
    sum -= kDelta;
  }
}

}  // namespace

std::optional<std::string> decode_secure_token(std::string_view key, std::string_view token_hex) {
  if (token_hex.empty() || token_hex.size() % 8 != 0 || token_hex.size() > kMaxTokenHex)
    return std::nullopt;
  uint32_t k[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < std::min<size_t>(key.size(), 16); i++)
    k[i / 4] |= uint32_t(static_cast<uint8_t>(key[i])) << (8 * (i % 4));
  std::vector<uint32_t> words(token_hex.size() / 8, 0);
  for (size_t i = 0; i < token_hex.size(); i += 2) {
    int hi = hex_digit(token_hex[i]), lo = hex_digit(token_hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    size_t byte = i / 2;
    words[byte / 4] |= uint32_t(hi << 4 | lo) << (8 * (byte % 4));
  }
  xxtea_decrypt(words, k);
  std::string out(token_hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); i++)
    out[i] = static_cast<char>(static_cast<uint8_t>(words[i / 4] >> (8 * (i % 4))));
  return out;
}

}  // namespace rtmp::auth
