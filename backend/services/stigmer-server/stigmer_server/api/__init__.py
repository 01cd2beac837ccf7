"""gRPC servicers of every kind: ``api/<kind>/`` wires the kind's pipelines."""
