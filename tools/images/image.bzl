"""`stigmer_image`: a `bazel run` target that builds one service's OCI image.

rules_oci needs Bazel >= 6 and downloads its toolchains; Debian ships Bazel
4.2.3 and no network. So the image is assembled by our builder with Debian's
umoci and skopeo. Its code layer is exactly the service's runfiles as Bazel
resolved them (sources, generated protos, data files), listed by `_closure`.
"""

def _closure_impl(ctx):
    files = ctx.attr.service[DefaultInfo].default_runfiles.files.to_list()
    paths = sorted([f.short_path for f in files if not f.short_path.startswith("../")])
    listing = ctx.actions.declare_file(ctx.label.name + ".txt")
    ctx.actions.write(listing, "\n".join(paths) + "\n")
    return [DefaultInfo(files = depset([listing]), runfiles = ctx.runfiles(files = [listing]))]

_closure = rule(
    implementation = _closure_impl,
    attrs = {"service": attr.label(mandatory = True)},
    doc = "Writes the list of a py_library's runfiles (paths relative to the workspace).",
)

def stigmer_image(name, image, service):
    """Declares `bazel run //tools/images:<name>`.

    Args:
      name: the target name.
      image: the image's name in stigmer_images/spec.py (IMAGES).
      service: the service's py_library; its closure is the code layer.
    """
    _closure(name = name + "_closure", service = service)
    closure = "%s/%s_closure.txt" % (native.package_name(), name)

    # The image and its closure are baked into the entry point (not `args`, which
    # only `bazel run` passes), so the target builds its image however it is run.
    main = name.replace("-", "_") + "_image.py"
    native.genrule(
        name = name + "_main",
        outs = [main],
        cmd = "printf '%s\\n' " + " ".join([
            "'\"\"\"Builds the %s image.\"\"\"'" % image,
            "'import sys'",
            "'from stigmer_images.build import main'",
            "'sys.exit(main([\"--image\", \"%s\", \"--closure\", \"%s\", *sys.argv[1:]]))'" % (image, closure),
        ]) + " > $@",
    )
    native.py_binary(
        name = name,
        srcs = [main],
        main = main,
        data = [":" + name + "_closure"],
        deps = [":stigmer_images", service],
        tags = ["manual"],
    )
