// Builds the transport stack a connection description asks for, on a connected TCP socket:
// TCP, then the proxy negotiation, then TLS, then the RTMPT tunnel, each when described.
#pragma once

#include <memory>

#include "config/connection.hpp"
#include "transport/transport.hpp"
#include "util/clock.hpp"

namespace rtmpsession {

// The transport stack for a socket connected to connection.first_hop(). Takes a socket reference.
std::unique_ptr<Transport> make_transport(const config::Connection& connection, GSocket* socket,
                                          const util::Clock& clock);

}  // namespace rtmpsession
