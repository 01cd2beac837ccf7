"""One module per task type; :mod:`.registry` maps task kinds to their runners."""
