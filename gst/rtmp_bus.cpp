#include "rtmp_bus.hpp"

#include "rtmp_errors.hpp"

GST_DEBUG_CATEGORY_STATIC(rtmp_bus_debug);
#define GST_CAT_DEFAULT rtmp_bus_debug

namespace rtmpgst {

void BusListener::on_state(const rtmpsession::StateChange& c) {
  static gsize once = 0;
  if (g_once_init_enter(&once)) {
    GST_DEBUG_CATEGORY_INIT(rtmp_bus_debug, "rtmpstate", 0, "RTMP connection states");
    g_once_init_leave(&once, 1);
  }
  const char* name = rtmpsession::state_name(c.state);
  GST_INFO_OBJECT(element_, "%s: %s -> %s%s%s", url_.c_str(), rtmpsession::state_name(c.previous),
                  name, c.reason.empty() ? "" : ": ", c.reason.c_str());
  GstStructure* s = gst_structure_new(kStateMessageName,                    //
                                      "state", G_TYPE_STRING, name,         //
                                      "previous-state", G_TYPE_STRING,      //
                                      rtmpsession::state_name(c.previous),  //
                                      "url", G_TYPE_STRING, url_.c_str(),   //
                                      "attempt", G_TYPE_UINT, c.attempt,    //
                                      "reason", G_TYPE_STRING, c.reason.c_str(), nullptr);
  gst_element_post_message(element_, gst_message_new_element(GST_OBJECT(element_), s));
}

void BusListener::on_error(const rtmpsession::SessionError& e) {
  post_session_error(element_, e, role_, url_);
}

}  // namespace rtmpgst
