// Helpers shared by the gst-check element tests: string checks, bounded polling,
// GstResourceError names, probed fakesinks behind a demuxer.
#pragma once

#include <gst/gst.h>

#include <functional>
#include <string>

// String equality for std::string expressions (fail_unless_equals_string keeps a pointer to its
// argument beyond the full expression, which a temporary std::string does not outlive). Needs
// gstcheck.h, which the test includes last.
#define assert_str_eq(actual, expected)                                                  \
  do {                                                                                   \
    const std::string a_ = (actual);                                                     \
    const std::string e_ = (expected);                                                   \
    fail_unless(a_ == e_, "%s is '%s', expected '%s'", #actual, a_.c_str(), e_.c_str()); \
  } while (0)

bool contains(const std::string& haystack, const std::string& needle);

// Polls `condition` every 10 ms until it holds (true) or timeout_ms passed (false).
bool wait_until(const std::function<bool()>& condition, int timeout_ms);

// The nick of a GstResourceError code ("?" if unknown), for messages.
const char* resource_code_name(int code);

// Demuxer tests: a fakesink (sync and async off) added to `bin` and linked to the demuxer's
// `pad`, with `probe` on its sink pad for buffers and downstream events. False if the link
// failed.
bool link_probed_fakesink(GstBin* bin, GstPad* pad, GstPadProbeCallback probe, gpointer data);
// In such a probe: the name of the demuxer pad the sink pad is linked to.
const char* probed_pad_name(GstPad* sinkpad);
// The caps a CAPS event carries, as a string.
std::string caps_event_string(GstEvent* event);
