"""The workflow runner: the Serverless Workflow DSL engine and its task activities."""
