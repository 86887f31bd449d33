// Distributed runs (docs/distributed.md): the processes of one simulation
// and the collectives the partitioned engine needs, with no MPI type in the
// interface. A Communicator is made from MPI (world_communicator(), or a
// user's own MPI_Comm through its Fortran handle) or by a test; a null one
// means one process, exactly as a build without MPI.
#pragma once
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "cascade/error.hpp"

namespace cascade {

/// An error every rank of a distributed run raises together, at the same
/// point (a non-finite rate, another rank's failure, an input every rank
/// refuses): no rank waits for another, so each may simply end.
class CollectiveError : public Error {
 public:
  using Error::Error;
};

/// The processes ("ranks") that run one simulation together. Every
/// collective is blocking and must be called by every rank in the same
/// order with the sizes it documents; reductions are done by each rank in
/// rank order, so their results are the same bits on every rank.
class Communicator {
 public:
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// "MPI (Open MPI v4.1.4), 4 ranks" and the like, for provenance and messages.
  virtual std::string describe() const = 0;

  /// Each rank's `bytes` bytes into `out` (size() * bytes), in rank order.
  virtual void allgather(const void* send, std::size_t bytes, void* out) = 0;
  /// Each rank's own number of bytes; `counts[r]` is rank r's (every rank
  /// knows them all, e.g. from an allgather first); out holds their sum.
  virtual void allgatherv(const void* send, std::size_t bytes, void* out, std::span<const std::uint64_t> counts) = 0;
  /// Like allgatherv, but only `root` receives (`out` ignored elsewhere).
  virtual void gatherv(const void* send, std::size_t bytes, void* out, std::span<const std::uint64_t> counts,
                       int root) = 0;
  /// Ends every rank of the job at once (a fault on one rank must not leave
  /// the others waiting in a collective); never returns.
  [[noreturn]] virtual void abort(int exit_code) = 0;

  // Typed helpers over the collectives (reduced in rank order).
  std::uint64_t sum(std::uint64_t v);
  double max(double v);
  bool any(bool v);
  std::vector<std::uint64_t> gather_sizes(std::uint64_t bytes);
  /// Agrees on a failure: when any rank's `mine` holds an exception, every
  /// rank throws CollectiveError with the lowest failing rank's message
  /// ("rank r of K: " first, except on rank r itself). Returns when none failed.
  void agree(const std::exception_ptr& mine);
};

/// True when this process was started by an MPI launcher (mpirun, mpiexec,
/// srun with PMI/PMIx): the environment says so. Never initialises MPI.
bool launched_by_mpi_launcher();
/// True when this build has MPI.
bool mpi_built();
/// MPI_COMM_WORLD when launched by an MPI launcher (MPI initialised on the
/// first call, finalised by finalize_mpi or at exit); null otherwise, also in
/// a build without MPI (then a launcher's K processes would each run the
/// whole simulation: refused by the command line).
std::shared_ptr<Communicator> world_communicator();
/// A communicator of the caller's own MPI program (which initialised MPI),
/// from its Fortran handle: `MPI_Comm_c2f(comm)`. Cascade never finalises it.
std::shared_ptr<Communicator> communicator_from_fortran_handle(int handle);
/// Finalises MPI if Cascade initialised it (idempotent; the command line
/// calls it before exiting).
void finalize_mpi();

/// The rank and size of a possibly-null communicator (null: rank 0 of 1).
inline int rank_of(const Communicator* c) { return c ? c->rank() : 0; }
inline int ranks_of(const Communicator* c) { return c ? c->size() : 1; }

}  // namespace cascade
