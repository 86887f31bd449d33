// A build without MPI: one process, always.
#include "cascade/communicator.hpp"
#include "cascade/error.hpp"

namespace cascade {

bool mpi_built() { return false; }
std::shared_ptr<Communicator> world_communicator() { return nullptr; }
std::shared_ptr<Communicator> communicator_from_fortran_handle(int) {
  throw Error("communicator_from_fortran_handle: this build of Cascade has no MPI (configured without "
              "libopenmpi-dev or with CASCADE_ENABLE_MPI=OFF)");
}
void finalize_mpi() {}

}  // namespace cascade
