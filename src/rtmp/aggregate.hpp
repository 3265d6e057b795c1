// Aggregate messages (type 22): a run of FLV-style sub-messages in one RTMP message.
#pragma once

#include <string>
#include <vector>

#include "rtmp/message.hpp"

namespace rtmp {

// Splits an aggregate into its audio/video/data sub-messages. Each sub-message's timestamp is the
// aggregate's timestamp plus its offset from the first sub-message's timestamp (so the first gets
// the aggregate's own). Sub-messages inherit the aggregate's stream id and chunk stream. Returns
// false (with *error) on a truncated or inconsistent aggregate; messages split before the fault
// are still appended.
bool split_aggregate(const Message& aggregate, std::vector<Message>& out, std::string* error);

}  // namespace rtmp
