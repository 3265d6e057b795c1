// Builds the transport stack a configuration asks for, on a connected TCP socket:
// TCP, then a proxy negotiation, then TLS, then the RTMPT tunnel, each when configured.
#pragma once

#include <memory>
#include <string>

#include "transport.hpp"

namespace rtmpsession {

struct ConnectTarget {
  std::string host;
  uint16_t port = 0;
  std::string what;  // "server" or "proxy", for messages
};

// Where the TCP connection goes: the proxy when one is configured, else the server.
// False (with a message) when the configuration cannot work (bad proxy URL, unknown scheme).
bool connect_target(const SessionConfig& config, ConnectTarget* target, std::string* error);

// The transport stack for a socket connected to connect_target(). Takes a socket reference.
std::unique_ptr<Transport> make_transport(const SessionConfig& config, GSocket* socket);

}  // namespace rtmpsession
