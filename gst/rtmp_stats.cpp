#include "rtmp_stats.hpp"

namespace rtmpgst {

GstStructure* stats_to_structure(const rtmpsession::SessionStats& s) {
  return gst_structure_new("application/x-rtmp-stats",                                         //
                           "state", G_TYPE_STRING, rtmpsession::state_name(s.state),           //
                           "out-bytes-total", G_TYPE_UINT64, s.bytes_sent,                     //
                           "in-bytes-total", G_TYPE_UINT64, s.bytes_received,                  //
                           "out-messages", G_TYPE_UINT64, s.messages_sent,                     //
                           "in-messages", G_TYPE_UINT64, s.messages_received,                  //
                           "out-media-messages", G_TYPE_UINT64, s.media_messages_sent,         //
                           "out-bytes-acked", G_TYPE_UINT64, s.bytes_acked_by_peer,            //
                           "out-chunk-size", G_TYPE_UINT, s.out_chunk_size,                    //
                           "in-chunk-size", G_TYPE_UINT, s.in_chunk_size,                      //
                           "in-window-ack-size", G_TYPE_UINT, s.in_window_ack_size,            //
                           "queued-bytes", G_TYPE_UINT64, s.queued_bytes,                      //
                           "bitrate", G_TYPE_DOUBLE, s.bitrate_bps,                            //
                           "reconnects", G_TYPE_UINT, s.reconnects,                            //
                           "attempt", G_TYPE_UINT, s.attempt,                                  //
                           "dropped-messages", G_TYPE_UINT64, s.dropped_messages,              //
                           "dropped-bytes", G_TYPE_UINT64, s.dropped_bytes,                    //
                           "skipped-until-keyframe", G_TYPE_UINT64, s.skipped_until_keyframe,  //
                           "transport", G_TYPE_STRING, s.transport.c_str(),                    //
                           "server-enhanced-rtmp", G_TYPE_STRING,                              //
                           s.server_enhanced_rtmp.c_str(),                                     //
                           "queued-ms", G_TYPE_UINT, s.queued_ms,                              //
                           "frames-dropped", G_TYPE_UINT64, s.frames_dropped,                  //
                           "congested", G_TYPE_BOOLEAN, s.congested,                           //
                           "send-rate", G_TYPE_DOUBLE, s.send_rate_bps,                        //
                           "out-window-ack-size", G_TYPE_UINT, s.out_window_ack_size,          //
                           "in-bytes-acked", G_TYPE_UINT64, s.bytes_acked_to_peer,             //
                           nullptr);
}

}  // namespace rtmpgst
