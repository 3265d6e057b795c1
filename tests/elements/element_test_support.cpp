// Helpers shared by the gst-check element tests: see element_test_support.hpp.
#include "element_test_support.hpp"

#include <gst/gst.h>

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

bool wait_until(const std::function<bool()>& condition, int timeout_ms) {
  gint64 deadline = g_get_monotonic_time() + gint64{timeout_ms} * 1000;
  while (!condition()) {
    if (g_get_monotonic_time() >= deadline) return false;
    g_usleep(10 * 1000);
  }
  return true;
}

const char* resource_code_name(int code) {
  GEnumClass* klass = static_cast<GEnumClass*>(g_type_class_ref(GST_TYPE_RESOURCE_ERROR));
  GEnumValue* v = g_enum_get_value(klass, code);
  const char* name = v ? v->value_nick : "?";
  g_type_class_unref(klass);
  return name;
}

bool link_probed_fakesink(GstBin* bin, GstPad* pad, GstPadProbeCallback probe, gpointer data) {
  GstElement* sink = gst_element_factory_make("fakesink", nullptr);
  g_object_set(sink, "sync", FALSE, "async", FALSE, nullptr);
  gst_bin_add(bin, sink);
  GstPad* sinkpad = gst_element_get_static_pad(sink, "sink");
  g_object_set_data_full(G_OBJECT(sinkpad), "demux", gst_pad_get_name(pad), g_free);
  gst_pad_add_probe(
      sinkpad,
      static_cast<GstPadProbeType>(GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_EVENT_DOWNSTREAM),
      probe, data, nullptr);
  const bool linked = gst_pad_link(pad, sinkpad) == GST_PAD_LINK_OK;
  gst_object_unref(sinkpad);
  gst_element_sync_state_with_parent(sink);
  return linked;
}

const char* probed_pad_name(GstPad* sinkpad) {
  return static_cast<const char*>(g_object_get_data(G_OBJECT(sinkpad), "demux"));
}

std::string caps_event_string(GstEvent* event) {
  GstCaps* caps = nullptr;
  gst_event_parse_caps(event, &caps);
  gchar* s = gst_caps_to_string(caps);
  std::string out = s ? s : "";
  g_free(s);
  return out;
}
