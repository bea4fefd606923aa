# tap: see qemud/tap.h
