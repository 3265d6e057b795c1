// Every default setting of a connection, in one place: the elements' property defaults, the
// connection description (config/connection.hpp) and the protocol core's configuration all
// take their values from here. Protocol constants (the 128-byte initial chunk size, the
// handshake sizes) are not settings and stay with the code they describe.
#pragma once

#include <cstddef>
#include <cstdint>

namespace rtmp::defaults {

// Where to connect when nothing else is set (as rtmp2: rtmp://localhost/live/myStream).
inline constexpr const char* kHost = "localhost";
inline constexpr const char* kApplication = "live";
inline constexpr const char* kStream = "myStream";

// Seconds for each phase of a connection (resolving, connecting, handshake, each reply) and for
// a send to stay blocked. rtmp2 uses 5 s for a whole operation; ours is per phase, and TLS set-up
// through a proxy or over a long path needs more.
inline constexpr uint32_t kTimeoutSeconds = 10;

// flashVer sent in connect. Publishing identifies as an encoder (some servers only accept
// publishers that say FMLE); playing says what rtmp2src says.
inline constexpr const char* kPublishFlashVersion = "FMLE/3.0 (compatible; GstRtmpNative)";
inline constexpr const char* kPlayFlashVersion = "LNX 10,0,32,18";

// Outgoing chunk size announced after the handshake. rtmp2sink keeps the protocol's 128; every
// server we know accepts Set Chunk Size, and 4096 costs far fewer chunk headers.
inline constexpr uint32_t kChunkSize = 4096;
// Acknowledgement window announced to the server.
inline constexpr uint32_t kWindowAckSize = 2500000;

// Playing: Set Buffer Length in ms. Servers such as nginx-rtmp send recorded streams this far
// ahead of real time; 10 h (as rtmpdump) lets a recorded stream come as fast as it can be taken.
inline constexpr uint32_t kPlayBufferMs = 36000000;
// play's start argument: -2000 = live if there is a live stream, else recorded.
inline constexpr double kPlayStart = -2000;

// Media waiting to be sent (publishing) or taken (playing) before back-pressure applies.
inline constexpr size_t kQueueBytes = 4 * 1024 * 1024;
// Publishing while reconnecting: media kept, oldest dropped beyond it.
inline constexpr size_t kReconnectBufferBytes = 16 * 1024 * 1024;

// Reconnection: off; first delay; upper bound of the doubling delay.
inline constexpr int kReconnectAttempts = 0;
inline constexpr uint32_t kReconnectDelayMs = 1000;
inline constexpr uint32_t kReconnectMaxDelayMs = 30000;

// Publishing live (sync=true): past this much media waiting to be sent, video frames are dropped
// to the next key frame. OBS starts dropping at 0.7-0.9 s; a little more rides out jitter.
inline constexpr uint32_t kMaxLatencyMs = 2000;

// Wake-ups are batched: media that comes within this long of the last batch waits for the next
// one (publishing: the session drains the queue once per window; playing: it reads the socket
// and wakes the source once per window while the stream trickles in real time). The latency it
// adds is at most this; a burst (a full read, a socket that takes more) is not delayed. The
// elements' `batch-latency` property sets it per session (sessions with the same value share
// loops); this is its default.
inline constexpr uint32_t kBatchLatencyMs = 40;
inline constexpr uint32_t kMaxBatchLatencyMs = 1000;
inline constexpr int64_t kCoalesceUs = int64_t{kBatchLatencyMs} * 1000;

// After the stop commands: how long to wait for the server to close the connection.
inline constexpr uint32_t kCloseWaitMs = 2000;

// Largest FLV tag accepted from the pipeline, and largest message accepted from a server.
inline constexpr uint32_t kMaxTagBytes = 16 * 1024 * 1024;
inline constexpr uint32_t kMaxMessageBytes = 8 * 1024 * 1024;

}  // namespace rtmp::defaults
