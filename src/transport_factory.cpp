#include "transport_factory.hpp"

#include "rtmpt_transport.hpp"
#include "socks_transport.hpp"
#include "tcp_transport.hpp"
#include "tls_transport.hpp"

namespace rtmpsession {

bool connect_target(const SessionConfig& config, ConnectTarget* target, std::string* error) {
  if (config.scheme != "rtmp" && config.scheme != "rtmps" && config.scheme != "rtmpt" &&
      config.scheme != "rtmpts") {
    *error = "scheme '" + config.scheme + "' is not supported";
    return false;
  }
  if (!config.proxy.empty()) {
    std::string host;
    uint16_t port = 0;
    if (!socks_proxy_address(config, &host, &port, error)) return false;
    *target = ConnectTarget{host, port, "proxy"};
    return true;
  }
  *target = ConnectTarget{config.host, config.port, "server"};
  return true;
}

std::unique_ptr<Transport> make_transport(const SessionConfig& config, GSocket* socket) {
  std::unique_ptr<Transport> transport = std::make_unique<TcpTransport>(socket);
  if (!config.proxy.empty()) transport = make_socks_transport(config, std::move(transport));
  if (config.scheme == "rtmps" || config.scheme == "rtmpts")
    transport = std::make_unique<TlsTransport>(std::move(transport), config);
  // The HTTP tunnel is the outermost layer: TLS (rtmpts) and a proxy are under it.
  if (config.scheme == "rtmpt" || config.scheme == "rtmpts")
    transport = std::make_unique<RtmptTransport>(std::move(transport), config);
  return transport;
}

}  // namespace rtmpsession
