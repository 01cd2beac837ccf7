"""OCI images of Stigmer's services, built offline with Debian's umoci and skopeo."""
