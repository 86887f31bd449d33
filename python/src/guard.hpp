// Calls into the library from Python: the GIL released while it runs, Ctrl-C
// turned into a stop request (the library stops at the next step boundary,
// or inside a long preparation) and then into KeyboardInterrupt, and the
// library's errors into Python exceptions of the right type.
#pragma once
#include <nanobind/nanobind.h>

#include <atomic>
#include <utility>

#include "cascade/stop.hpp"

namespace cascade::python {

/// While it lives on the main thread, SIGINT sets `flag()` instead of
/// Python's handler (which cannot run while the GIL is released). Other
/// threads get no interrupt (Python delivers signals to the main thread only).
class InterruptScope {
 public:
  InterruptScope();
  ~InterruptScope();
  InterruptScope(const InterruptScope&) = delete;
  InterruptScope& operator=(const InterruptScope&) = delete;
  const std::atomic<bool>* flag() const;
  bool interrupted() const;

 private:
  bool installed_ = false;
};

/// Raises KeyboardInterrupt in Python (after the call returned or stopped).
[[noreturn]] void raise_keyboard_interrupt();

/// Runs f() without the GIL, with Ctrl-C as a stop request reaching the
/// library's loaders (StopScope) and runs (the flag is passed to f). A stop
/// becomes KeyboardInterrupt; the objects stay usable.
template <class F>
auto call_released(F&& f) {
  InterruptScope interrupt;
  auto run = [&]() {
    nanobind::gil_scoped_release release;
    StopScope scope(interrupt.flag());
    return f(interrupt.flag());
  };
  if constexpr (std::is_void_v<decltype(run())>) {
    run();
    if (interrupt.interrupted()) raise_keyboard_interrupt();
  } else {
    auto out = run();
    if (interrupt.interrupted()) raise_keyboard_interrupt();
    return out;
  }
}

/// Registers the translation of cascade::Error (and Stopped) into Python exceptions.
void register_errors(nanobind::module_& m);

}  // namespace cascade::python
