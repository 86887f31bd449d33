#include "signals.hpp"

#include <csignal>

namespace cascade::cli {

namespace {
std::atomic<bool> g_stop{false};  // the CLI's one piece of process state: signals are per process
volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_stop_signal(int sig) {
  g_signal = sig;
  g_stop.store(true, std::memory_order_relaxed);
  std::signal(sig, SIG_DFL);  // a second signal ends the process
}
}  // namespace

void install_stop_signals() {
  g_stop.store(false);
  g_signal = 0;
  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
}

const std::atomic<bool>& stop_requested() { return g_stop; }
int stop_signal() { return static_cast<int>(g_signal); }

}  // namespace cascade::cli
