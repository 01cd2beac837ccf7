"""How every Stigmer process reaches stigmer-server.

One place for what the runners, the CLI and the console each wrote before:

- :mod:`stigmer_client.env`: reading settings from the environment (flags, files,
  seconds, addresses) with one error type that names the variable.
- :mod:`stigmer_client.address`: the server address (``STIGMER_SERVER`` and its alias).
- :mod:`stigmer_client.tls`: TLS to stigmer-server (a flag and a CA file).
- :mod:`stigmer_client.channel`: the gRPC channel and the API-key call metadata.
- :mod:`stigmer_client.retrying`: calls that ride out a server outage (the runners').

Import from the modules: this package imports nothing on its own, so the CLI
does not pay for the Temporal SDK that :mod:`stigmer_client.retrying` needs.
"""
