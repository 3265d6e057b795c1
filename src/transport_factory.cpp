#include "transport_factory.hpp"

#include "tcp_transport.hpp"

namespace rtmpsession {

bool connect_target(const SessionConfig& config, ConnectTarget* target, std::string* error) {
  if (config.scheme != "rtmp") {
    *error = "scheme '" + config.scheme + "' is not supported";
    return false;
  }
  if (!config.proxy.empty()) {
    *error = "proxies are not supported";
    return false;
  }
  *target = ConnectTarget{config.host, config.port, "server"};
  return true;
}

std::unique_ptr<Transport> make_transport(const SessionConfig& config, GSocket* socket) {
  (void)config;
  return std::make_unique<TcpTransport>(socket);
}

}  // namespace rtmpsession
