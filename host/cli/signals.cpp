#include "signals.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstring>

namespace cascade::cli {

namespace {
std::atomic<bool> g_stop{false};  // the CLI's one piece of process state: signals are per process
volatile std::sig_atomic_t g_signal = 0;
char g_notice[160];  // composed before any signal: the handler only write()s it
std::size_t g_notice_len = 0;

// Every SIGINT / SIGTERM keeps the orderly stop going (GNU timeout, a shell
// closing, a double Ctrl-C may send several): the outputs and the message
// are never lost to a repeated signal. Only SIGKILL ends the process at once.
extern "C" void on_stop_signal(int sig) {
  const bool first = !g_stop.exchange(true, std::memory_order_relaxed);
  if (first) {
    g_signal = sig;
  } else if (g_notice_len > 0) {
    const ssize_t ignored = ::write(STDERR_FILENO, g_notice, g_notice_len);
    (void)ignored;
  }
}
}  // namespace

void install_stop_signals() {
  g_stop.store(false);
  g_signal = 0;
  const int n = std::snprintf(g_notice, sizeof g_notice,
                              "cascade: already stopping at the next step boundary; to force a stop (losing the "
                              "outputs) send SIGKILL: kill -KILL %ld\n",
                              static_cast<long>(::getpid()));
  g_notice_len = n > 0 ? static_cast<std::size_t>(n) : 0;
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // reads and writes under way continue
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

const std::atomic<bool>& stop_requested() { return g_stop; }
int stop_signal() { return static_cast<int>(g_signal); }

}  // namespace cascade::cli
