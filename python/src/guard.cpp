#include "guard.hpp"

#include <cctype>
#include <csignal>
#include <cstring>
#include <string>
#include <thread>

#include "cascade/error.hpp"

namespace nb = nanobind;

namespace cascade::python {

namespace {
std::atomic<bool> g_interrupted{false};  // per process, as signals are
struct sigaction g_previous {};
std::thread::id g_main_thread;  // the thread that imported the module (Python's main thread)

extern "C" void on_sigint(int) { g_interrupted.store(true, std::memory_order_relaxed); }

/// The library has one exception type; its messages say which kind of
/// problem it is, in the words of the C library or its own checks.
PyObject* exception_type(std::string what) {
  for (char& c : what) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (what.find("no such file or directory") != std::string::npos) return PyExc_FileNotFoundError;
  if (what.find("permission denied") != std::string::npos) return PyExc_PermissionError;
  // "... needs 3 GiB of memory but only 2 GiB are available", "... needs 3 GiB but only 2 GiB of memory ..."
  if (what.find("memory") != std::string::npos && what.find(" available") != std::string::npos &&
      what.find(" needs ") != std::string::npos)
    return PyExc_MemoryError;
  return PyExc_ValueError;
}
}  // namespace

InterruptScope::InterruptScope() {
  if (std::this_thread::get_id() != g_main_thread) return;
  g_interrupted.store(false);
  struct sigaction sa {};
  sa.sa_handler = on_sigint;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;
  installed_ = ::sigaction(SIGINT, &sa, &g_previous) == 0;
}

InterruptScope::~InterruptScope() {
  if (installed_) ::sigaction(SIGINT, &g_previous, nullptr);
}

const std::atomic<bool>* InterruptScope::flag() const { return installed_ ? &g_interrupted : nullptr; }
bool InterruptScope::interrupted() const { return installed_ && g_interrupted.load(); }

void raise_keyboard_interrupt() {
  PyErr_SetNone(PyExc_KeyboardInterrupt);
  throw nb::python_error();
}

void register_errors(nb::module_& m) {
  g_main_thread = std::this_thread::get_id();
  nb::register_exception_translator([](const std::exception_ptr& p, void*) {
    try {
      std::rethrow_exception(p);
    } catch (const Stopped& e) {
      PyErr_SetString(PyExc_KeyboardInterrupt, e.what());
    } catch (const Error& e) {
      PyErr_SetString(exception_type(e.what()), e.what());
    }
  });
  (void)m;
}

}  // namespace cascade::python
