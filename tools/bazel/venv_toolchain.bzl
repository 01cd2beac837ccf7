"""The project virtualenv as Bazel's Python toolchain.

Bazel must not download an interpreter, and the packages we need (grpcio,
temporalio, rocksdict, ...) are installed from PyPI into one virtualenv by
`tools/setup.sh`. This repository rule points a `py_runtime` at that venv's
python by ABSOLUTE path: a symlink inside the workspace would lose `pyvenv.cfg`
in runfiles and with it the venv's site-packages.
"""

_VENV_ENV = "STIGMER_VENV"

def _venv_toolchain_impl(rctx):
    venv = rctx.os.environ.get(_VENV_ENV, "")
    if not venv:
        venv = str(rctx.path(Label("//:WORKSPACE")).dirname) + "/.venv"
    python = venv + "/bin/python3"
    if not rctx.path(python).exists:
        fail("Python virtualenv not found at %s: run tools/setup.sh (or set %s)" % (venv, _VENV_ENV))

    rctx.file("BUILD.bazel", """
load("@bazel_tools//tools/python:toolchain.bzl", "py_runtime_pair")

py_runtime(
    name = "venv_python3",
    interpreter_path = "{python}",
    python_version = "PY3",
    stub_shebang = "#!{python}",
)

py_runtime_pair(
    name = "venv_runtime_pair",
    py3_runtime = ":venv_python3",
)

toolchain(
    name = "venv_toolchain",
    toolchain = ":venv_runtime_pair",
    toolchain_type = "@bazel_tools//tools/python:toolchain_type",
)

exports_files(["venv_path.txt"])
""".format(python = python))
    rctx.file("venv_path.txt", venv + "\n")

venv_toolchain = repository_rule(
    implementation = _venv_toolchain_impl,
    environ = [_VENV_ENV],
    local = True,
)
