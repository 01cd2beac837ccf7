"""Steps shared by every kind's pipelines, one idea per module."""
