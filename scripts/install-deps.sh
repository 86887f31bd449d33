#!/usr/bin/env bash
# Installs what Cascade's build and tests need, from Debian's packages only.
# Used by the README quick start and by .ci/run. Idempotent: installs nothing
# when everything is present. Nothing is downloaded at configure time.
set -euo pipefail

need=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in cmake g++ make librandom123-dev libgtest-dev libhdf5-dev libcli11-dev nlohmann-json3-dev python3-venv python3-dev \
           clang libclang-rt-14-dev libomp-dev libopenmpi-dev openmpi-bin; do
  have_pkg "$pkg" || need+=("$pkg")
done
# OpenMP comes with gcc (libgomp); check it links rather than naming a package.
if ! echo 'int main(){return 0;}' | g++ -fopenmp -x c++ - -o /dev/null 2>/dev/null; then
  need+=("libgomp1")
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "install-deps: installing ${need[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# The outputs are also checked with independent Python readers (NumPy, h5py,
# libsonata) from PyPI, in a virtual environment beside the sources; the
# worked examples draw their figures with matplotlib from the same one, and
# the Python package is built with nanobind (scikit-build-core for pip
# install .) and tested with pytest from it.
venv="$(cd "$(dirname "$0")/.." && pwd)/.venv-tests"
if ! "$venv/bin/python" -c "import numpy, h5py, libsonata, matplotlib, nanobind, scikit_build_core, pytest" 2>/dev/null; then
  echo "install-deps: creating $venv (numpy, h5py, libsonata, matplotlib, nanobind, scikit-build-core, pytest from PyPI)" >&2
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check numpy h5py libsonata matplotlib nanobind scikit-build-core pytest
fi
