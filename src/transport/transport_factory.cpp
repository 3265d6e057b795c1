#include "transport/transport_factory.hpp"

#include "transport/rtmpt_transport.hpp"
#include "transport/socks_transport.hpp"
#include "transport/tcp_transport.hpp"
#include "transport/tls_transport.hpp"

namespace rtmpsession {

std::unique_ptr<Transport> make_transport(const config::Connection& c, GSocket* socket,
                                          const util::Clock& clock) {
  std::unique_ptr<Transport> transport = std::make_unique<TcpTransport>(socket);
  if (c.proxy) transport = std::make_unique<SocksTransport>(std::move(transport), c.proxy->request);
  if (c.tls) transport = std::make_unique<TlsTransport>(std::move(transport), *c.tls);
  // The HTTP tunnel is the outermost layer: TLS (rtmpts) and a proxy are under it.
  if (c.tunnel)
    transport = std::make_unique<RtmptTransport>(std::move(transport), *c.tunnel, clock);
  return transport;
}

}  // namespace rtmpsession
