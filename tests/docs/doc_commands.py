#!/usr/bin/env python3
"""Runs the shell commands that README.md, docs/*.md and bench/README.md show.

    doc_commands.py REPO BUILD_DIR SCRATCH

Every ```sh block is read, continuation lines joined, and each command run
with bash in one scratch directory, in the order a reader meets them (the
README first, then docs/ by name, then bench/README.md), so that later
commands find what earlier ones made (nets/, tuned.json). In the scratch
directory `build` is a link to BUILD_DIR and `examples`, `tools`, `bench`,
`.venv-tests` links into REPO. Every command must exit with status 0, except:

- the set-up commands (install-deps, cmake, ctest) that made this build;
- GPU commands (--backend gpu, device-check.sh) without a visible GPU;
- MPI launches (mpirun, mpiexec, srun) without mpiexec or in a build
  without MPI (they run as root and oversubscribed where they do run);
- commands that need what a test machine lacks (PyTorch files for
  cascade-pt-to-npy, spikeometric for compare_reference.py) and whole
  benchmark runs (minutes; they belong in bench/, not in tests);
- a simulate with --checkpoint C followed later by `resume C`: it is stopped
  with SIGTERM once C exists (the interruption the comment describes), must
  exit 143, and the resume must then exit 0.

The README's ```python blocks run last, with the
build tree's module (PYTHONPATH=BUILD_DIR/python). Each skip is printed with
its reason. The TOML listing in docs/run-files.md
must equal examples/run.toml (less its header comment) byte for byte. Exits 0 when all pass, 1 otherwise.
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

TIMEOUT_S = 600


def sh_blocks(path):
    """The logical commands of every ```sh block of a Markdown file."""
    commands, inside, pending = [], False, ""
    for line in path.read_text().splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```sh"
            continue
        if not inside:
            continue
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        command = (pending + line).strip()
        pending = ""
        if command and not command.startswith("#"):
            # A set-up chain (install && configure && build && example): the
            # set-up parts are skipped below, the rest runs on its own.
            commands.extend(part.strip() for part in command.split(" && "))
    return commands


def fenced_blocks(path, language):
    """The text of every ```LANGUAGE block of a Markdown file."""
    blocks, inside, lines = [], False, []
    for line in path.read_text().splitlines(keepends=True):
        if line.startswith("```"):
            if inside:
                blocks.append("".join(lines))
            inside, lines = line.strip() == "```" + language, []
            continue
        if inside:
            lines.append(line)
    return blocks


def code_of(command):
    """The command without its trailing comment (no command here quotes a #)."""
    return re.sub(r"\s+#.*$", "", command)


def skip_reason(code, has_gpu, has_mpi=True):
    first = code.split()[0]
    if first in ("mpirun", "mpiexec", "srun") and not has_mpi:
        return "needs MPI (mpiexec and a cascade built with it)"
    if "install-deps.sh" in code or first in ("cmake", "ctest"):
        return "set-up: made the build this test runs in"
    if ("--backend gpu" in code or "device-check.sh" in code) and not has_gpu:
        return "needs a GPU (none visible to this build)"
    if first == "cascade-pt-to-npy":
        return "converts a user's PyTorch files (none here; the CI runs cascade-pt-to-npy --help)"
    if "compare_reference.py" in code:
        return "runs spikeometric beside Cascade (not installed for the tests)"
    if ("cascade-bench" in code and "--list" not in code) or "python_overhead.py" in code or \
            "cascade-fit-bench" in code or "inference_study.py" in code or "mpi_scaling.sh" in code:
        return "a benchmark run (minutes; measured in bench/, never in tests)"
    return None


def checkpoint_of(code):
    m = re.search(r"--checkpoint\s+(\S+)", code)
    return m.group(1) if m else None


def run(code, cwd, env):
    p = subprocess.run(["bash", "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout + p.stderr


def run_then_stop(code, cwd, env, checkpoint):
    """Starts code, sends SIGTERM once the checkpoint exists; (status, output, stopped)."""
    p = subprocess.Popen(["bash", "-c", "exec " + code], cwd=cwd, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + TIMEOUT_S
    stopped = False
    while p.poll() is None and time.monotonic() < deadline:
        if (Path(cwd) / checkpoint).exists():
            p.send_signal(signal.SIGTERM)
            stopped = True
            break
        time.sleep(0.05)
    if p.poll() is None and not stopped:
        p.kill()
    out, _ = p.communicate(timeout=TIMEOUT_S)
    return p.returncode, out, stopped


def main():
    repo, build, scratch = (Path(a).resolve() for a in sys.argv[1:4])
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    (scratch / "build").symlink_to(build)
    for name in ("examples", "tools", "bench", ".venv-tests"):
        if (repo / name).exists():
            (scratch / name).symlink_to(repo / name)
    # mpirun as root and with more ranks than cores, as a test machine needs (docs/distributed.md).
    env = dict(os.environ, WORK=str(scratch / "workflows"), OMPI_ALLOW_RUN_AS_ROOT="1",
               OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1", OMPI_MCA_rmaps_base_oversubscribe="1",
               OMPI_MCA_mpi_yield_when_idle="1")
    info = subprocess.run([str(build / "cascade"), "info"], capture_output=True, text=True).stdout
    has_gpu = "CUDA kernels built: yes" in info and "GPUs: none" not in info
    has_mpi = "MPI: built" in info and shutil.which("mpiexec") is not None

    failures = []
    listing = "".join(l for l in (repo / "examples/run.toml").read_text().splitlines(keepends=True)
                      if not l.startswith("#"))  # the file's own header comment is not listed
    if listing not in fenced_blocks(repo / "docs/run-files.md", "toml"):
        failures.append("docs/run-files.md: no listing equals examples/run.toml (less its header comment)")

    files = [repo / "README.md"] + sorted((repo / "docs").glob("*.md")) + [repo / "bench/README.md"]
    commands = [(f.relative_to(repo), c) for f in files for c in sh_blocks(f)]
    resumed = {}  # checkpoint -> whether its run was stopped before the end
    ran = 0
    for where, command in commands:
        code = code_of(command)
        reason = skip_reason(code, has_gpu, has_mpi)
        if reason:
            print(f"skip  {where}: {code[:90]}\n      ({reason})")
            continue
        t0 = time.monotonic()
        ckpt = checkpoint_of(code)
        resume = re.search(r"cascade resume\s+(\S+)", code)
        expected = 0
        if ckpt and any(re.search(r"cascade resume\s+" + re.escape(ckpt) + r"\b", c) for _, c in commands):
            status, out, stopped = run_then_stop(code, scratch, env, ckpt)
            resumed[ckpt] = stopped
            if stopped and status == 0:  # it reached its end as the signal came
                resumed[ckpt] = stopped = False
            expected = 128 + signal.SIGTERM if stopped else 0
            note = "stopped with SIGTERM at its first checkpoint" if stopped else "ended before a checkpoint"
        elif resume and resumed.get(resume.group(1)) is False:
            print(f"skip  {where}: {code[:90]}\n      (its run ended before it could be interrupted)")
            continue
        else:
            status, out = run(code, scratch, env)
            note = ""
        ran += 1
        ok = status == expected
        print(f"{'ok   ' if ok else 'FAIL '} {where}: {code[:90]}  [{time.monotonic() - t0:.1f} s, "
              f"status {status}{', ' + note if note else ''}]")
        if not ok:
            failures.append(f"{where}: `{code}` exited {status}, expected {expected}:\n{out[-3000:]}")
    # The README's Python blocks run with the build tree's module, after its commands (nets/ exists).
    pyenv = dict(env, PYTHONPATH=str(build / "python"))
    for k, block in enumerate(fenced_blocks(repo / "README.md", "python")):
        if not (build / "python" / "cascade").is_dir():
            print(f"skip  README.md: python block {k + 1}\n      (the Python module is not built)")
            continue
        t0 = time.monotonic()
        p = subprocess.run([sys.executable, "-c", block], cwd=scratch, env=pyenv, capture_output=True, text=True,
                           timeout=TIMEOUT_S)
        ran += 1
        print(f"{'ok   ' if p.returncode == 0 else 'FAIL '} README.md: python block {k + 1}  "
              f"[{time.monotonic() - t0:.1f} s, status {p.returncode}]")
        if p.returncode != 0:
            failures.append(f"README.md: python block {k + 1} exited {p.returncode}:\n{(p.stdout + p.stderr)[-3000:]}")
    for f in failures:
        print("\nFAILED " + f)
    print(f"\n{ran} commands run, {len(failures)} failure(s)")
    if failures or ran == 0:
        return 1
    shutil.rmtree(scratch, ignore_errors=True)  # its networks and rasters are large; kept only on failure
    return 0


if __name__ == "__main__":
    sys.exit(main())
