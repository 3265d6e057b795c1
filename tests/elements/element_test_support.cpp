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
