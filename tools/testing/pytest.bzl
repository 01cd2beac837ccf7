"""`pytest_test`: a py_test whose body is pytest over the given test files."""

def pytest_test(name, srcs, deps = [], data = [], args = [], env = {}, **kwargs):
    """Runs pytest on the `test_*.py` / `*_test.py` files of `srcs`.

    conftest.py and support modules go in `srcs` too. The root pyproject.toml is
    data, so pytest finds its options (asyncio mode, markers) exactly as it does
    when run from the virtualenv.
    """
    test_files = [
        native.package_name() + "/" + src
        for src in srcs
        if src.split("/")[-1].startswith("test_") or src.endswith("_test.py")
    ]
    if not test_files:
        fail("pytest_test %s: no test_*.py or *_test.py in srcs" % name)
    native.py_test(
        name = name,
        srcs = srcs + ["//tools/testing:pytest_main.py"],
        main = "//tools/testing:pytest_main.py",
        deps = deps,
        data = data + ["//:pyproject.toml"],
        args = args + test_files,
        env = env,
        python_version = "PY3",
        # No implicit __init__.py in runfiles: test folders stay rootless, so
        # pytest imports conftest and sibling modules exactly as it does from
        # the virtualenv, and nothing shadows the generated `stigmer` package.
        legacy_create_init = 0,
        **kwargs
    )
