// The communicator's typed helpers and launcher detection (MPI or not).
#include "cascade/communicator.hpp"

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace cascade {

std::uint64_t Communicator::sum(std::uint64_t v) {
  std::vector<std::uint64_t> all(static_cast<std::size_t>(size()));
  allgather(&v, sizeof v, all.data());
  std::uint64_t s = 0;
  for (std::uint64_t x : all) s += x;  // rank order: the same result everywhere
  return s;
}

double Communicator::max(double v) {
  std::vector<double> all(static_cast<std::size_t>(size()));
  allgather(&v, sizeof v, all.data());
  double m = all[0];
  for (double x : all) m = x > m ? x : m;
  return m;
}

bool Communicator::any(bool v) {
  const std::uint8_t b = v ? 1 : 0;
  std::vector<std::uint8_t> all(static_cast<std::size_t>(size()));
  allgather(&b, 1, all.data());
  for (std::uint8_t x : all)
    if (x) return true;
  return false;
}

std::vector<std::uint64_t> Communicator::gather_sizes(std::uint64_t bytes) {
  std::vector<std::uint64_t> all(static_cast<std::size_t>(size()));
  allgather(&bytes, sizeof bytes, all.data());
  return all;
}

void Communicator::agree(const std::exception_ptr& mine) {
  std::string text;
  if (mine) {
    try {
      std::rethrow_exception(mine);
    } catch (const std::exception& e) {
      text = e.what();
    } catch (...) {
      text = "unknown error";
    }
  }
  const std::vector<std::uint64_t> lens = gather_sizes(mine ? text.size() + 1 : 0);
  int first = -1;
  std::uint64_t total = 0;
  for (std::size_t r = 0; r < lens.size(); ++r) {
    if (lens[r] && first < 0) first = static_cast<int>(r);
    total += lens[r];
  }
  if (first < 0) return;
  std::string all(total, '\0');
  const std::string mine_z = mine ? text + '\0' : std::string();
  allgatherv(mine_z.data(), mine_z.size(), all.data(), lens);
  std::size_t at = 0;
  for (int r = 0; r < first; ++r) at += lens[static_cast<std::size_t>(r)];
  std::string msg = all.substr(at, lens[static_cast<std::size_t>(first)] - 1);
  if (first != rank()) msg = "rank " + std::to_string(first) + " of " + std::to_string(size()) + ": " + msg;
  throw CollectiveError(msg);
}

bool launched_by_mpi_launcher() {
  // Open MPI, PMIx (Open MPI 5, Slurm), PMI-1/2 (MPICH's hydra, Slurm, Intel MPI).
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE", "MPI_LOCALNRANKS"})
    if (const char* s = std::getenv(v); s && *s) return true;
  return false;
}

}  // namespace cascade
