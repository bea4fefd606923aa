# units/: filled in by its owner
