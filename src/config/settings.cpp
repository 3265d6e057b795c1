#include "config/settings.hpp"

#include <limits>

#include "rtmp/url_options.hpp"

namespace config {

namespace {

// The location as it may be quoted in an error: the URL without its password, then the options.
std::string quotable(const rtmp::SplitLocation& split) {
  std::string url = rtmp::without_password(split.url);
  return split.options.empty() ? url : url + " " + split.options;
}

}  // namespace

bool Settings::set_location(std::string_view text, std::string* error) {
  const rtmp::SplitLocation split = rtmp::split_location(text);
  std::string why;
  std::optional<rtmp::Url> url = rtmp::parse_url(split.url, &why);
  std::optional<rtmp::UrlOptions> opts;
  if (url) opts = rtmp::parse_url_options(split.options, &why);
  if (!url || !opts || !why.empty()) {
    location_error = "'" + quotable(split) + "': " + why;
    if (error) *error = location_error;
    return false;
  }
  scheme = url->scheme;
  host = url->host;
  port = url->port;
  application = opts->app.value_or(url->application);
  stream = opts->playpath.value_or(url->stream);
  username = url->user;
  password = url->password;
  options = LocationOptions{};
  options.tc_url = opts->tc_url.value_or("");
  options.page_url = opts->page_url.value_or("");
  options.swf_url = opts->swf_url.value_or("");
  options.conn_args = std::move(opts->conn_args);
  options.live = opts->live;
  options.token = opts->token.value_or("");
  options.subscribe = opts->subscribe.value_or("");
  options.buffer_ms = opts->buffer_ms;
  options.start_s = opts->start_s;
  options.notes = std::move(opts->notes);
  if (opts->flash_ver) flash_version = *opts->flash_ver;
  if (opts->timeout_s) timeout_s = *opts->timeout_s;
  location_error.clear();
  return true;
}

std::string Settings::uri(bool with_password) const {
  rtmp::Url u;
  u.scheme = scheme;
  u.host = host;
  u.port = static_cast<uint16_t>(port);
  u.port_explicit = port != rtmp::default_port(scheme);
  u.user = username;
  u.password = password;
  u.application = application;
  u.stream = stream;
  return u.to_string(with_password);
}

}  // namespace config
