// Base64 encoding (RFC 4648, standard alphabet, with '=' padding), for Adobe authentication.
#pragma once

#include <string>

#include "util/bytes.hpp"

namespace rtmp {

std::string base64_encode(ByteView data);

}  // namespace rtmp
