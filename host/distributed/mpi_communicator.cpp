// The communicator over MPI (Open MPI from Debian: libopenmpi-dev). MPI is
// initialised only when a launcher started the process, and only once.
#include <mpi.h>

#include <climits>
#include <cstdlib>
#include <mutex>
#include <string>
#include <vector>

#include "cascade/communicator.hpp"
#include "cascade/error.hpp"

namespace cascade {

namespace {

[[noreturn]] void mpi_fail(int code, const char* what) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  throw Error(std::string("MPI: ") + what + " failed: " + std::string(text, static_cast<std::size_t>(len)));
}

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) mpi_fail(code, what);
}

int as_count(std::uint64_t n, const char* what) {
  if (n > static_cast<std::uint64_t>(INT_MAX))
    throw Error(std::string("MPI: ") + what + " of " + std::to_string(n) +
                " bytes exceeds the 2 GiB one MPI call carries here");
  return static_cast<int>(n);
}

/// Counts and displacements as MPI wants them (int), checked.
void layout(std::span<const std::uint64_t> counts, std::vector<int>& c, std::vector<int>& d, const char* what) {
  c.resize(counts.size());
  d.resize(counts.size());
  std::uint64_t off = 0;
  for (std::size_t r = 0; r < counts.size(); ++r) {
    c[r] = as_count(counts[r], what);
    d[r] = as_count(off, what);
    off += counts[r];
  }
  as_count(off, what);
}

std::string library_version() {
  char v[MPI_MAX_LIBRARY_VERSION_STRING];
  int len = 0;
  MPI_Get_library_version(v, &len);
  std::string s(v, static_cast<std::size_t>(len));
  if (const auto comma = s.find(','); comma != std::string::npos) s.resize(comma);  // "Open MPI v4.1.4"
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class MpiCommunicator final : public Communicator {
 public:
  MpiCommunicator(MPI_Comm comm, bool owned) : comm_(comm), owned_(owned) {
    check(MPI_Comm_rank(comm_, &rank_), "MPI_Comm_rank");
    check(MPI_Comm_size(comm_, &size_), "MPI_Comm_size");
    // Errors come back as codes (thrown as cascade::Error), never as MPI's own abort.
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
  }
  ~MpiCommunicator() override {
    if (owned_) {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized) MPI_Comm_free(&comm_);
    }
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string describe() const override {
    return "MPI (" + library_version() + "), " + std::to_string(size_) + " rank" + (size_ == 1 ? "" : "s");
  }
  void allgather(const void* send, std::size_t bytes, void* out) override {
    const int n = as_count(bytes, "allgather");
    as_count(static_cast<std::uint64_t>(bytes) * static_cast<std::uint64_t>(size_), "allgather");
    check(MPI_Allgather(send, n, MPI_BYTE, out, n, MPI_BYTE, comm_), "MPI_Allgather");
  }
  void allgatherv(const void* send, std::size_t bytes, void* out, std::span<const std::uint64_t> counts) override {
    std::vector<int> c, d;
    layout(counts, c, d, "allgatherv");
    check(MPI_Allgatherv(send, as_count(bytes, "allgatherv"), MPI_BYTE, out, c.data(), d.data(), MPI_BYTE, comm_),
          "MPI_Allgatherv");
  }
  void gatherv(const void* send, std::size_t bytes, void* out, std::span<const std::uint64_t> counts,
               int root) override {
    std::vector<int> c, d;
    layout(counts, c, d, "gatherv");
    check(MPI_Gatherv(send, as_count(bytes, "gatherv"), MPI_BYTE, out, c.data(), d.data(), MPI_BYTE, root, comm_),
          "MPI_Gatherv");
  }
  [[noreturn]] void abort(int exit_code) override {
    MPI_Abort(comm_, exit_code);
    std::_Exit(exit_code);  // MPI_Abort does not return; this only satisfies [[noreturn]]
  }

 private:
  MPI_Comm comm_;
  bool owned_;
  int rank_ = 0, size_ = 1;
};

/// The engine calls MPI between steps from whichever thread of its team runs
/// the step's single section: MPI must have been initialised (by Cascade or
/// by the caller, e.g. mpi4py) with at least MPI_THREAD_SERIALIZED.
void require_serialized() {
  int level = 0;
  check(MPI_Query_thread(&level), "MPI_Query_thread");
  if (level < MPI_THREAD_SERIALIZED)
    throw Error("MPI was initialised with thread level " + std::to_string(level) +
                ", below MPI_THREAD_SERIALIZED, which the engine's thread team needs; initialise MPI with "
                "MPI_Init_thread(..., MPI_THREAD_SERIALIZED or MPI_THREAD_MULTIPLE, ...) (mpi4py: "
                "mpi4py.rc.thread_level = 'serialized' or 'multiple' before importing MPI)");
}

std::mutex g_init_mutex;
bool g_we_initialised = false;
std::shared_ptr<Communicator> g_world;

}  // namespace

bool mpi_built() { return true; }

std::shared_ptr<Communicator> world_communicator() {
  std::lock_guard<std::mutex> lock(g_init_mutex);
  if (g_world) return g_world;
  if (!launched_by_mpi_launcher()) return nullptr;  // plain runs never touch MPI
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) {
    int provided = 0;
    // The engine calls MPI between steps from one thread of its team (an
    // OpenMP single, not always the main thread): serialized calls.
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_SERIALIZED, &provided), "MPI_Init_thread");
    if (provided < MPI_THREAD_SERIALIZED)
      throw Error("MPI: this MPI library provides thread level " + std::to_string(provided) +
                  ", below MPI_THREAD_SERIALIZED, which the engine's thread team needs");
    g_we_initialised = true;
    std::atexit([] { finalize_mpi(); });
  }
  require_serialized();
  MPI_Comm dup;
  check(MPI_Comm_dup(MPI_COMM_WORLD, &dup), "MPI_Comm_dup");  // our messages never meet the user's
  g_world = std::make_shared<MpiCommunicator>(dup, true);
  return g_world;
}

std::shared_ptr<Communicator> communicator_from_fortran_handle(int handle) {
  int initialised = 0;
  MPI_Initialized(&initialised);
  if (!initialised) throw Error("communicator_from_fortran_handle: MPI is not initialised (call MPI_Init first)");
  require_serialized();
  MPI_Comm dup;
  check(MPI_Comm_dup(MPI_Comm_f2c(handle), &dup), "MPI_Comm_dup");
  return std::make_shared<MpiCommunicator>(dup, true);
}

void finalize_mpi() {
  std::lock_guard<std::mutex> lock(g_init_mutex);
  g_world.reset();
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (g_we_initialised && !finalized) MPI_Finalize();
  g_we_initialised = false;
}

}  // namespace cascade
