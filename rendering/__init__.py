"""The rendering layer: the run-folder format (names, columns, read and write), output-folder safety, maps and
reports. It reads solved results and run folders; it never builds or solves a model."""
