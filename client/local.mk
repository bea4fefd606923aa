# client/: filled in by its owner
