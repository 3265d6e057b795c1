// The client side of one RTMP connection, without I/O: handshake, NetConnection connect,
// createStream, publish or play, protocol control, and media. The caller moves bytes between
// this object and a transport, and reacts to the events it raises.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "rtmp/auth.hpp"
#include "rtmp/chunk_reader.hpp"
#include "rtmp/chunk_writer.hpp"
#include "rtmp/commands.hpp"
#include "rtmp/control.hpp"
#include "rtmp/defaults.hpp"
#include "rtmp/enhanced_connect.hpp"
#include "rtmp/errors.hpp"
#include "rtmp/handshake.hpp"
#include "rtmp/handshake_digest.hpp"
#include "rtmp/message.hpp"
#include "rtmp/protocol_log.hpp"
#include "util/bytes.hpp"

namespace rtmp {

enum class ClientMode { kPublish, kPlay };

// kAuto: Flash Player 9 digest handshake, continuing as a plain one when the server's answer has
// no digest (as FFmpeg and librtmp do); kPlain: version-3 plain handshake only; kDigest: digest,
// and a server that does not answer with a valid digest is a handshake failure.
enum class HandshakeMode { kAuto, kPlain, kDigest };

struct ClientConfig {
  ClientMode mode = ClientMode::kPublish;
  // What connect carries: app, tcUrl, flashVer, swfUrl, pageUrl, extra arguments. `publish` is
  // set from `mode` when connect is sent.
  commands::ConnectParams connect;
  std::string stream;
  std::string publish_type = "live";
  uint32_t chunk_size = defaults::kChunkSize;  // outgoing chunk size announced after the handshake
  uint32_t window_ack_size = defaults::kWindowAckSize;
  uint32_t play_buffer_ms = defaults::kPlayBufferMs;  // Set Buffer Length sent when playing
  // play's start argument in ms: -2000 live, else recorded (the default); -1000 live only;
  // 0 recorded only, from the beginning (librtmp's live=1 / live=0).
  double play_start = defaults::kPlayStart;
  // Playing: a name to FCSubscribe after createStream (librtmp's subscribe=, or the stream for
  // live=1); empty = none.
  std::string subscribe;
  // Publishing: the stop commands sent at the end (StopCommand flags: 1 FCUnpublish,
  // 2 closeStream, 4 deleteStream, as rtmp2sink's stop-commands).
  uint32_t stop_commands = 1 | 4;
  HandshakeMode handshake = HandshakeMode::kAuto;
  // Enhanced RTMP v2 in connect (enhanced_connect.hpp); off for a legacy server that chokes on
  // unknown connect fields.
  bool announce_enhanced = true;
  ChunkReaderLimits limits;
  // Authentication: a query ("?authmod=...") appended to app and tcUrl in connect, and the
  // SecureToken key. With a key, releaseStream/FCPublish/createStream wait for connect's
  // _result so that secureTokenResponse goes first (as librtmp sends it).
  std::string auth_query;
  std::string secure_token;
};

// Protocol phases of the connection; the session adds the I/O phases around them.
enum class ClientPhase {
  kIdle,
  kHandshaking,
  kConnectingApp,
  kCreatingStream,
  kStartingStream,  // publish or play sent, waiting for the server's onStatus
  kStreaming,       // NetStream.Publish.Start / NetStream.Play.Start received
  kClosing,         // stop commands sent
  kFailed,
};

const char* phase_name(ClientPhase phase);

struct ClientError {
  ErrorKind kind = ErrorKind::kNone;
  std::string message;  // human-readable, includes the server's description when it sent one
  std::string code;     // the server's status code, when there is one
};

struct ClientEvent {
  enum class Kind {
    kPhaseChanged,   // phase
    kStatus,         // status: an onStatus the connection did not turn into another event
    kStreamStarted,  // publish or play started (status holds the server's onStatus)
    kStreamEnded,    // Play.Stop, Play.UnpublishNotify, StreamEOF (play only)
    kMedia,          // message: audio, video or data message for the play stream
    kRecorded,       // StreamIsRecorded: the played stream is recorded (seekable), not live
    kSeekDone,       // NetStream.Seek.Notify: media after this is from the new position
    kError,          // see ClientConnection::error()
  };
  Kind kind = Kind::kStatus;
  ClientPhase phase = ClientPhase::kIdle;
  commands::StatusInfo status;
  Message message;
};

struct ClientCounters {
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
  uint64_t media_messages_out = 0;
  uint64_t bytes_acked_by_peer = 0;  // the server's last Acknowledgement (32-bit sequence)
  uint64_t bytes_acked_to_peer = 0;  // our last Acknowledgement to the server
  uint32_t in_chunk_size = ChunkWriter::kDefaultChunkSize;
  uint32_t out_chunk_size = ChunkWriter::kDefaultChunkSize;
  uint32_t in_window_ack_size = 0;
  uint32_t out_window_ack_size = 0;  // the window we announced to the server
};

class ClientConnection {
 public:
  // random: bytes for the handshake (at least 1528); epoch: handshake time field.
  ClientConnection(ClientConfig config, ByteView random, uint32_t epoch);
  ~ClientConnection();
  // Where the protocol is logged (rtmp/protocol_log.hpp); null (the default) logs nothing.
  void set_logger(Logger* logger) { logger_ = logger; }

  // Queues C0+C1. Call once, after the transport is connected.
  void start();
  // Feeds bytes received from the server. now_ms is a monotonic clock used for the handshake.
  void receive(ByteView data, uint32_t now_ms);
  // Bytes waiting to be sent; the caller sends a prefix and then calls consume_output(n).
  // output_slices() gives them without copying, as up to `max` views for one gathering write
  // (valid until the next non-const call); output() as one contiguous view, joining the slices
  // into one buffer first if needed.
  size_t output_slices(ByteView* out, size_t max) const { return out_.slices(out, max); }
  ByteView output() { return out_.linear(); }
  size_t pending_output() const { return out_.size(); }
  void consume_output(size_t n);
  bool has_output() const { return !out_.empty(); }

  // Publishing: queues one media or data message on the publish stream. Only in kStreaming.
  // The message's stream id is replaced by the publish stream's id.
  bool send_media(const Message& message);
  // The same, taking the payload: large chunk payload pieces are sent from its memory.
  bool send_media(Message&& message);
  // The same for a payload in pieces others own: they are sent from where they are.
  bool send_media(MediaMessage&& message);
  // Playing: asks the server to seek to `ms` (recorded streams) or to pause/resume at `ms`.
  bool seek(double ms);
  bool pause(bool paused, double ms);
  // Uses `size` for outgoing chunks from now on: announced with Set Chunk Size at once once the
  // handshake is done, else right after it. False if out of range (1..0x7FFFFFFF).
  bool set_chunk_size(uint32_t size);
  // Queues the stop commands (FCUnpublish + deleteStream when publishing, deleteStream when
  // playing) if a stream exists, and enters kClosing.
  void finish();

  bool next_event(ClientEvent* event);
  ClientPhase phase() const { return phase_; }
  const ClientError& error() const { return error_; }
  // After a kAuthRequired error: what the server's rejection asked for.
  const auth::Rejection& auth_rejection() const { return auth_rejection_; }
  const ClientCounters& counters() const { return counters_; }
  // What the server's connect _result said of Enhanced RTMP (empty when it said nothing).
  const EnhancedCapabilities& server_capabilities() const { return server_caps_; }
  uint32_t stream_id() const { return stream_id_; }

 private:
  void set_phase(ClientPhase phase);
  void fail(ErrorKind kind, std::string message, std::string code = {});
  void send(const Message& m);
  void on_handshake_done();
  void on_message(Message&& m);
  void on_control(const Message& m);
  void on_user_control(const Message& m);
  void on_command(const Message& m);
  void on_play_data(Message&& m);
  void on_media(Message&& m);
  void on_result(const commands::Command& c, const std::string& request);
  void on_error_reply(const commands::Command& c, const std::string& request);
  void note_server_capabilities(const commands::Command& c);
  void on_status(const commands::Command& c);
  void on_publish_status(const commands::StatusInfo& s);
  void on_play_status(const commands::StatusInfo& s);
  void start_stream();
  void send_stream_requests();
  bool answer_secure_token(const commands::Command& c);
  void emit(ClientEvent::Kind kind, commands::StatusInfo status = {}, Message message = {});
  void acknowledge_if_due();

  ClientConfig config_;
  ClientHandshake handshake_;  // digest unless HandshakeMode::kPlain
  ChunkReader reader_;
  ChunkWriter writer_;
  control::AckTracker acks_;
  commands::Transactions transactions_;
  ClientPhase phase_ = ClientPhase::kIdle;
  ClientError error_;
  auth::Rejection auth_rejection_;
  ClientCounters counters_;
  std::deque<ClientEvent> events_;
  std::vector<Message> incoming_;
  OutputQueue out_;
  Bytes handshake_out_;  // the handshake writes here, then it goes to out_
  uint32_t stream_id_ = 0;
  Logger* logger_ = nullptr;
  EnhancedCapabilities server_caps_;
  uint32_t last_window_sent_ = 0;
  bool stream_created_ = false;
};

}  // namespace rtmp
