// The command line under an MPI launcher (docs/distributed.md): the world
// communicator, which rank reports, errors agreed by every rank before a run
// and the end of every rank when one fails during it. (CLI state only.)
#pragma once
#include <exception>
#include <memory>
#include <string>

#include "cascade/communicator.hpp"
#include "cascade/error.hpp"

namespace cascade::cli {

/// Joins the launcher's job for `command` (simulate, resume and tune run
/// distributed; the others refuse K > 1 ranks). Nothing outside a launcher.
void start_distributed(const std::string& command);
/// The job's communicator (null: one process).
std::shared_ptr<Communicator> world();
/// Rank 0, or the only process: it alone reports and writes.
bool is_root();
/// More than one rank.
bool distributed();

/// An error every rank raised together (a bad input, seen by all before
/// the ranks diverge): rank 0 reports it, every rank exits with `code`.
struct AgreedError : CollectiveError {
  AgreedError(const std::string& what, int exit_code) : CollectiveError(what), code(exit_code) {}
  int code;
};

/// Collective: rethrows as AgreedError when any rank's `mine` holds an error.
void agree(const std::exception_ptr& mine);

/// Runs the preparation `f` on every rank; if it threw on any rank, every
/// rank throws AgreedError with the lowest failing rank's message.
template <class F>
void agreed(F&& f) {
  std::exception_ptr failure;
  try {
    f();
  } catch (...) {
    failure = std::current_exception();
  }
  agree(failure);
}

/// Collective: whether `mine` holds on any rank (--help given to some ranks
/// only: every rank takes it, none waits for the others).
bool agreed_any(bool mine);

/// A failure on this rank during a distributed run: rank 0 reports it at
/// once, another rank after a moment (when rank 0 failed too its report
/// comes first and ends the job); then every rank of the job ends.
[[noreturn]] void fail_distributed(const std::string& message, int exit_code);

}  // namespace cascade::cli
