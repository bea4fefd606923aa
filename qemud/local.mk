# qemud/: filled in by its owner
